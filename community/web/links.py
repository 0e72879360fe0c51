"""Links for listing rows without a url_for call a link.

A listing page links every row to its thread, category, author, tags and answer: about a hundred
url_for calls a page, each walking Werkzeug's rule builder (some 20 us), and every page's head and
header build some thirty more (stylesheets, scripts, navigation). The URL of a route with only path
arguments is its pattern with the arguments filled in, so each pattern is built once (url_for with
stand-ins, so SCRIPT_NAME and the URL map are honoured) and then filled by the route's own
converters, which quote as url_for does. Patterns are kept per app and script root: the URL map is
fixed once the app serves, and no url_defaults function is registered (when one is, url_for every
time). Outside a request, url_for as usual.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing.converters import NumberConverter

# What Werkzeug leaves unquoted in a query string (werkzeug.urls._urlencode: the WHATWG
# percent-encode set), so query links equal url_for's.
_QUERY_SAFE = "!$'()*,/:;?@"
# Values no converter quotes and no URL holds otherwise: letters for strings, digits for numbers.
_TEXT_STAND_IN, _NUMBER_STAND_IN = "PaRlEyLiNk{}Z", 7_394_018_265_000
_PATTERNS_KEY = "parley.link_patterns"
_NO_PATTERN = object()  # kept for routes a pattern cannot serve, so they are not looked at again
_MAX_PATTERNS = 2048  # endpoints x argument sets; a bound, not a size expected
_lock = threading.Lock()


@dataclass(frozen=True)
class LinkPattern:
    pieces: tuple[str, ...]  # literal text between the arguments, one more than `arguments`
    arguments: tuple[str, ...]
    converters: tuple  # each argument's converter (to_url)

    def fill(self, values: dict) -> str:
        parts = [self.pieces[0]]
        for name, converter, piece in zip(self.arguments, self.converters, self.pieces[1:]):
            parts.append(converter.to_url(values[name]))
            parts.append(piece)
        return "".join(parts)


def link(endpoint: str, **values) -> str:
    """url_for(endpoint, **values) for a route whose values are all path arguments."""
    if not has_request_context():  # emails and jobs: absolute URLs, rarely many
        return url_for(endpoint, **values)
    environ = request.environ
    found = environ.get(_PATTERNS_KEY)
    if found is None:  # once a request: the app's store and this request's script root
        found = environ[_PATTERNS_KEY] = (_patterns(), request.script_root)
    patterns, script_root = found
    key = (script_root, endpoint, tuple(values))
    pattern = patterns.get(key)
    if pattern is None:
        pattern = _pattern(endpoint, tuple(values)) if patterns is not _UNCACHED else None
        with _lock:
            if len(patterns) >= _MAX_PATTERNS:
                patterns.clear()
            patterns[key] = pattern or _NO_PATTERN
    return pattern.fill(values) if pattern.__class__ is LinkPattern else url_for(endpoint, **values)


def template_url_for(endpoint: str, **values) -> str:
    """The templates' url_for: from the patterns when it can be (absolute endpoints, path
    arguments only, no _external or _anchor, no None, which url_for drops), else url_for itself."""
    if endpoint[0] == "." or any(name[0] == "_" or value is None for name, value in values.items()):
        return url_for(endpoint, **values)
    return link(endpoint, **values)


class _Uncached(dict):
    """Stands for the pattern store when the app has url_defaults functions: stores nothing."""

    def __setitem__(self, key, value) -> None:
        pass


_UNCACHED = _Uncached()


def _patterns() -> dict:
    app = current_app._get_current_object()
    patterns = app.extensions.get(_PATTERNS_KEY)
    if patterns is None:
        # url_defaults functions or host matching would make one pattern wrong for some requests.
        varies = any(app.url_default_functions.values()) or app.url_map.host_matching
        patterns = app.extensions[_PATTERNS_KEY] = _UNCACHED if varies else {}
    return patterns


def query_link(endpoint: str, **query) -> str:
    """url_for(endpoint, **query) for a route without path arguments: its path from the pattern,
    then the query string in the order given (None values dropped, as url_for drops them)."""
    path = link(endpoint)
    items = [(name, value) for name, value in query.items() if value is not None]
    return f"{path}?{urlencode(items, safe=_QUERY_SAFE)}" if items else path


def _pattern(endpoint: str, arguments: tuple[str, ...]) -> LinkPattern | None:
    rule = next((rule for rule in current_app.url_map.iter_rules(endpoint)
                 if set(rule.arguments) == set(arguments) and not rule.defaults), None)
    if rule is None:
        return None  # defaults or query arguments: url_for every time
    stand_ins = {
        name: _NUMBER_STAND_IN + n if isinstance(rule._converters[name], NumberConverter) else _TEXT_STAND_IN.format(n)
        for n, name in enumerate(arguments)
    }
    built = url_for(endpoint, **stand_ins)
    pieces, rest = [], built
    order = sorted(arguments, key=lambda name: built.index(str(stand_ins[name])))
    for name in order:
        before, _found, rest = rest.partition(str(stand_ins[name]))
        pieces.append(before)
    pieces.append(rest)
    return LinkPattern(tuple(pieces), tuple(order), tuple(rule._converters[name] for name in order))
