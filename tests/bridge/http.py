"""Raw HTTP to the fake X with the standard library, to see statuses, headers and bodies as sent."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(base_url: str, method: str, path: str, token: str | None = None, *, params: dict | None = None,
         body: dict | None = None, raw: bytes | None = None, content_type: str = "application/json") -> RawResponse:
    """`body` is sent as JSON, `raw` as is with `content_type`."""
    url = base_url + path + (f"?{urlencode(params)}" if params else "")
    data = json.dumps(body).encode() if body is not None else raw
    request = urllib.request.Request(url, method=method, data=data)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return RawResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return RawResponse(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
