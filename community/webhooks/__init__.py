"""Outgoing webhook plumbing with no business rules: signing, URL safety and the HTTP adapter.

`webhooks/delivery.py` decides what is sent and when; this package only knows how. Only `http.py`
imports httpx.
"""
