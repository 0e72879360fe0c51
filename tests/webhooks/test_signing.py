"""Signatures and URL safety: pure functions, no app or database."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from community.webhooks import addresses, signing

BODY = b'{"id":"e1","type":"thread.created"}'


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.sign("s3cret", 1700000000, BODY) == f"sha256={expected}"


def test_headers_carry_event_id_type_timestamp_and_signature():
    headers = signing.signed_headers("s3cret", BODY, "thread.created", "e1", timestamp=1700000000)
    assert headers["X-Parley-Event"] == "thread.created" and headers["X-Parley-Event-Id"] == "e1"
    assert headers["X-Parley-Timestamp"] == "1700000000"
    assert signing.verify("s3cret", headers["X-Parley-Signature"], "1700000000", BODY, now=1700000000)


@pytest.mark.parametrize("secret, body, timestamp, now", [
    ("wrong", BODY, "1700000000", 1700000000),            # another secret
    ("s3cret", BODY + b" ", "1700000000", 1700000000),    # body changed
    ("s3cret", BODY, "1700000001", 1700000001),           # timestamp changed (signature was for ...000)
    ("s3cret", BODY, "1700000000", 1700000000 + 301),     # replayed after the tolerance
    ("s3cret", BODY, "1700000000", 1700000000 - 301),     # from the future
    ("s3cret", BODY, "", 1700000000),
    ("s3cret", BODY, "-5", 1700000000),
])
def test_verify_refuses_tampering_and_replays(secret, body, timestamp, now):
    signature = signing.sign("s3cret", 1700000000, BODY)
    assert not signing.verify(secret, signature, timestamp, body, now=now)


def test_verify_accepts_within_tolerance():
    signature = signing.sign("s3cret", 1700000000, BODY)
    assert signing.verify("s3cret", signature, "1700000000", BODY, now=1700000000 + 299)
    assert not signing.verify("s3cret", None, "1700000000", BODY, now=1700000000)


def test_secrets_are_random_and_long():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second and len(first) > 40


@pytest.mark.parametrize("url, problem", [
    ("https://crm.example.com/hook", None),
    ("http://crm.example.com:8080/hook?x=1", None),
    ("ftp://crm.example.com/", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "Only http:// and https://"),
    ("https:///nohost", "needs a host"),
    ("https://a:b@crm.example.com/", "Leave user names"),
    ("https://crm.example.com:99999/", "not valid"),
    ("https://x.example/" + "a" * 500, "under 500"),
])
def test_url_shapes(url, problem):
    found = addresses.url_problem(url)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://0.0.0.0/",
])
def test_private_destinations_are_refused_unless_allowed(url):
    assert "private" in addresses.destination_problem(url, allow_private=False)
    assert addresses.destination_problem(url, allow_private=True) is None
