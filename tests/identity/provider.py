"""The real OpenID provider the identity tests sign in at: oidc-provider (npm, v9) run by Node from
tests/identity/oidc_provider.mjs, two issuers ("acme" and "globex") on free 127.0.0.1 ports."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
MODULE = PROJECT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "parley"
CLIENT_SECRET = "parley-test-secret-0123456789"


class IdentityProviders:
    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.issuers = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        self.process: subprocess.Popen | None = None

    def start(self, log_path: Path) -> "IdentityProviders":
        env = {**os.environ, "OIDC_ISSUERS": json.dumps([{"name": n, "port": p} for n, p in self.ports.items()])}
        self.log_path = log_path
        # Its output goes to a file: a pipe nobody reads would fill up and stop the provider.
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(["node", str(HERE / "oidc_provider.mjs")], cwd=PROJECT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            ready = {line.split()[1] for line in log_path.read_text().splitlines() if line.startswith("ready ")}
            if len(ready) == len(self.ports):
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oidc-provider did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    # --- control ------------------------------------------------------------------------------

    def _control(self, name: str, path: str, body: dict) -> dict:
        response = httpx.post(f"{self.issuers[name]}/__test/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def register(self, name: str, base_url: str, slug: str | None = None, **extra) -> None:
        """Register Parley (at base_url, under the provider slug) as the one client of this issuer."""
        slug = slug or name
        client = {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{base_url}/sso/{slug}/callback"],
            "post_logout_redirect_uris": [f"{base_url}/sso/logged-out"],
            "backchannel_logout_uri": f"{base_url}/sso/{slug}/backchannel-logout",
            "backchannel_logout_session_required": True,
            "grant_types": ["authorization_code"], "response_types": ["code"],
            **extra,
        }
        self._control(name, "clients", {"clients": [client]})

    def rotate(self, name: str, drop_old: bool = False) -> list[str]:
        return self._control(name, "rotate", {"drop_old": drop_old})["kids"]

    def settings(self, *names: str, **mapping) -> list[dict]:
        """OIDC_PROVIDERS for these issuers, slug = issuer name."""
        return [
            {"slug": name, "name": name.capitalize(), "issuer": self.issuers[name], "client_id": CLIENT_ID,
             "client_secret": CLIENT_SECRET, "scopes": "openid email profile groups", **mapping}
            for name in names
        ]

    # --- a person at the provider's login page, without a browser -----------------------------

    def log_in(self, authorize_url: str, login: str, browser: httpx.Client | None = None) -> str:
        """Follow the provider from its authorize URL through its login form; the URL it sends
        the person back to (Parley's callback with code, state and iss)."""
        browser = browser or httpx.Client(timeout=10)
        url = authorize_url
        for _hop in range(10):
            response = browser.get(url) if not isinstance(url, tuple) else browser.post(url[0], data=url[1])
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if not target.startswith(tuple(self.issuers.values())):
                    return target
                url = target
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
            if form is None:
                raise AssertionError(f"no login form at {response.url}: {response.status_code} {response.text[:400]}")
            action = urljoin(str(response.url), unescape(form.group(1)))
            if 'name="login"' in response.text:
                url = (action, {"prompt": "login", "login": login, "password": "any-password"})
            else:
                fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
                url = (action, fields)
        raise AssertionError("too many hops at the provider")


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
