"""A web worker must not load what only some processes need (RSS target: <= 150 MB per worker).

scikit-learn (with scipy and numpy, ~100 MB) is only needed where a trained bridge classifier is
trained or used; a fresh interpreter that builds the app and serves a page must not import it.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

HEAVY = ("sklearn", "scipy", "joblib")


@pytest.mark.backends("sqlite")
def test_building_the_app_and_serving_a_page_loads_no_heavy_modules(app, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from community import create_app
        from community import migrate
        from community.extensions import db
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/memory.db", "INSTANCE_PATH": "{tmp_path}/instance",
                          "SECRET_KEY": "x", "SEED_DEMO": False, "LOG_LEVEL": "WARNING",
                          "SEARCH_INDEX_DIR": "{tmp_path}/index"}})
        with app.app_context():
            migrate.upgrade(db.engine)
        assert app.test_client().get("/").status_code == 200
        print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "", f"loaded at start: {result.stdout.strip()}"
