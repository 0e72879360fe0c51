"""A bare Flask app, no database and no extensions: the most any Flask page can do on this machine.

`make bench` serves it under Parley's own gunicorn configuration and reports every Parley page as
a fraction of its requests per second.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

ITEMS = [
    {"title": f"How do I export report number {n}?", "author": f"member{n}", "replies": n * 3}
    for n in range(1, 8)
]


@app.route("/")
def page():
    return render_template("page.html", heading="Bare ceiling", items=ITEMS)
