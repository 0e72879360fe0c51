"""Subscription tokens: the channels one reader may follow, signed by the app, read by the streams.

The app checks who may follow what once (service.subscribe) and signs the answer; the embedded
stream, the poll and parley-live only verify the signature and the age, so parley-live needs no
database and no session cookie. A token names its channels and nothing a reader may not know.
"""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "parley.live.subscription"


class InvalidToken(Exception):
    pass


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign(secret_key: str, channels: list[str]) -> str:
    return _serializer(secret_key).dumps({"c": sorted(channels)})


def channels_of(secret_key: str, token: str, max_age: int) -> frozenset[str]:
    try:
        data = _serializer(secret_key).loads(token or "", max_age=max_age)
    except BadSignature as error:  # SignatureExpired is one
        raise InvalidToken(str(error)) from None
    channels = data.get("c") if isinstance(data, dict) else None
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise InvalidToken("no channels")
    return frozenset(channels)
