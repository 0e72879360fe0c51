"""Confining admin-written CSS (the branding's custom CSS): what it may load and what it may not do.

One set of rules, used twice: `css_problems` when the admin saves (each problem becomes the field
error), `confine_css` when /brand.css is served (rows saved before the rules, or written around the
form, lose the offending rules and declarations; a CSS comment says why).

The CSS is read with tinycss2, which decodes escapes (`\\65xpression` is `expression`) and knows
strings, comments and url() apart. On top of the tokens, the text is checked once more with
comments removed and escapes decoded, for tricks that old engines honoured but a tokenizer
splits apart (`ex/**/pression(`):

- no `<` anywhere (a `</style` breakout if the CSS is ever inlined), plain or escaped;
- no `expression(`, `behavior:` or `-moz-binding` (script from CSS in old IE and Firefox);
- `@import` only of this site's own stylesheets (a relative path, or a host in `site_hosts`);
- `url()` (also `src()`, `image-set()` strings): relative or same-site paths, hosts in
  `site_hosts` or `allowed_hosts` over http(s), and `data:image/png|gif|jpeg|webp`; nothing
  else (`javascript:`, `vbscript:`, other `data:`, other hosts, scheme-relative `//host`);
- text tinycss2 cannot read (a parse error, a bad string or url) is refused on save and dropped
  when served, as a browser would mostly drop it too.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Iterator
from urllib.parse import urlsplit

import tinycss2
from tinycss2 import ast

BANNED_PROPERTIES = frozenset({"behavior", "-ms-behavior", "-moz-binding"})
BANNED_FUNCTIONS = frozenset({"expression"})
URL_FUNCTIONS = frozenset({"url", "src"})
IMAGE_SET_FUNCTIONS = frozenset({"image-set", "-webkit-image-set"})
DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|webp)[;,]")

_UNSAFE_IN_COMMENT = re.compile(r"[*<>\\]|[^\S ]")
_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\r\n|(.))", re.DOTALL)
_HIDDEN = [  # (pattern on the normalised text, the word every message about it holds, the message)
    (re.compile(r"expression\s*\("), "expression", "expression() is not allowed."),
    (re.compile(r"(?<![\w.#-])(?:-ms-)?behavior\s*:"), "behavior", "The behavior property is not allowed."),
    (re.compile(r"-moz-binding"), "-moz-binding", "The -moz-binding property is not allowed."),
    (re.compile(r"<"), "less-than", "A less-than sign is not allowed (it could close the style sheet), not even escaped."),
]


def css_problems(css: str, allowed_hosts: Iterable[str] = (), site_hosts: Iterable[str] = ()) -> list[str]:
    """What is wrong with this CSS, as messages for the admin (empty: fine to save)."""
    allowed, site = _hosts(allowed_hosts), _hosts(site_hosts)
    problems = [f"Line {line}: {why}" if line else why for line, why in _walk_problems(css, allowed, site)]
    # What only the text check saw (a word split by a comment, a "<" in a comment), unless said already.
    problems += [why for word, why in _text_problems(css, words=True) if not any(word in seen for seen in problems)]
    return list(dict.fromkeys(problems))


def confine_css(css: str, allowed_hosts: Iterable[str] = (), site_hosts: Iterable[str] = ()) -> str:
    """The CSS as written when `css_problems` finds nothing; else re-serialized without what it
    refuses (offending rules and declarations dropped, a comment saying why), or, if the result
    would still break a rule, nothing but that comment."""
    return _confine(css, tuple(sorted(_hosts(allowed_hosts))), tuple(sorted(_hosts(site_hosts))))


@functools.lru_cache(maxsize=16)  # /brand.css is fetched with every page; the CSS rarely changes
def _confine(css: str, allowed: tuple[str, ...], site: tuple[str, ...]) -> str:
    if not css_problems(css, allowed, site):
        return css  # as the admin wrote it
    out = "\n".join(part for part in (_confined_node(node, set(allowed), set(site)) for node in _parse(css)) if part)
    problems = _text_problems(out)
    return _dropped("the custom CSS", problems[0]) if problems else out


# --- the walk --------------------------------------------------------------------------------------


def _parse(css: str) -> list:
    return tinycss2.parse_stylesheet(css or "", skip_comments=True, skip_whitespace=True)


def _contents(block: list) -> list:
    return tinycss2.parse_blocks_contents(block, skip_comments=True, skip_whitespace=True)


def _walk_problems(css: str, allowed: set[str], site: set[str]) -> Iterator[tuple[int, str]]:
    for node in _parse(css):
        yield from _node_problems(node, allowed, site)


def _node_problems(node, allowed: set[str], site: set[str]) -> Iterator[tuple[int, str]]:
    """Problems of one rule or declaration, its nested rules and declarations included."""
    own = _own_problem(node, allowed, site)
    if own:
        yield node.source_line, own
    for child in _children(node):
        yield from _node_problems(child, allowed, site)


def _children(node) -> list:
    if isinstance(node, (ast.QualifiedRule, ast.AtRule)) and node.content is not None:
        return _contents(node.content)
    return []


def _own_problem(node, allowed: set[str], site: set[str]) -> str | None:
    """What is wrong with the node itself (not its nested rules), or None."""
    if isinstance(node, ast.ParseError):
        return f"this could not be read as CSS ({node.message})."
    if isinstance(node, ast.Declaration):
        if node.lower_name in BANNED_PROPERTIES:
            return f"The {node.lower_name} property is not allowed."
        return _tokens_problem(node.value, allowed, site) or _first(_text_problems(node.serialize()))
    if isinstance(node, ast.AtRule) and node.lower_at_keyword == "import":
        url = _import_url(node.prelude)
        if url is None:
            return "@import needs a url."
        problem = _url_problem(url, set(), site)
        if problem:
            return f"@import may only load this site's own stylesheets: {problem}"
    if isinstance(node, (ast.QualifiedRule, ast.AtRule)):
        return _tokens_problem(node.prelude, allowed, site) or _first(_text_problems(_head(node)))
    return None


def _head(node) -> str:
    prelude = tinycss2.serialize(node.prelude)
    return f"@{node.at_keyword}{prelude}" if isinstance(node, ast.AtRule) else prelude


def _confined_node(node, allowed: set[str], site: set[str]) -> str:
    """The node serialized without its offending parts."""
    problem = _own_problem(node, allowed, site)
    if problem:
        return _dropped("a declaration" if isinstance(node, ast.Declaration) else "a rule", problem)
    if isinstance(node, ast.Declaration):
        return node.serialize().rstrip() + ";"
    if isinstance(node, (ast.QualifiedRule, ast.AtRule)):
        if node.content is None:
            return _head(node) + ";"
        return _head(node).rstrip() + "{" + "".join(_confined_node(child, allowed, site) for child in _contents(node.content)) + "}"
    return ""


def _dropped(what: str, why: str) -> str:
    # The reason may quote the admin's url: nothing in it may end the comment or open markup.
    return f"/* Parley dropped {what}: {_UNSAFE_IN_COMMENT.sub('?', why)} */"


def _first(items: list[str]) -> str | None:
    return items[0] if items else None


def _tokens_problem(tokens: list, allowed: set[str], site: set[str]) -> str | None:
    for token in tokens:
        problem = _token_problem(token, allowed, site)
        if problem:
            return problem
    return None


def _token_problem(token, allowed: set[str], site: set[str]) -> str | None:
    if isinstance(token, ast.ParseError):  # a bad url or string inside a value
        return f"this could not be read as CSS ({token.message})."
    if isinstance(token, ast.URLToken):
        return _url_problem(token.value, allowed, site)
    if isinstance(token, ast.FunctionBlock):
        if token.lower_name in BANNED_FUNCTIONS:
            return f"{token.lower_name}() is not allowed."
        strings = [t for t in token.arguments if isinstance(t, ast.StringToken)]
        if token.lower_name in URL_FUNCTIONS and strings:
            return _url_problem(strings[0].value, allowed, site)
        if token.lower_name in IMAGE_SET_FUNCTIONS:
            for string in strings:
                problem = _url_problem(string.value, allowed, site)
                if problem:
                    return problem
        return _tokens_problem(token.arguments, allowed, site)
    if isinstance(token, (ast.SquareBracketsBlock, ast.ParenthesesBlock, ast.CurlyBracketsBlock)):
        return _tokens_problem(token.content, allowed, site)
    return None


def _import_url(prelude: list) -> str | None:
    for token in prelude:
        if isinstance(token, (ast.URLToken, ast.StringToken)):
            return token.value
        if isinstance(token, ast.FunctionBlock) and token.lower_name in URL_FUNCTIONS:
            strings = [t for t in token.arguments if isinstance(t, ast.StringToken)]
            return strings[0].value if strings else None
    return None


# --- urls and hidden words ---------------------------------------------------------------------------


def _url_problem(url: str, allowed: set[str], site: set[str]) -> str | None:
    """None when the url may be loaded; else why not."""
    # Browsers drop control characters, tabs and newlines anywhere in a url and read "\" as "/".
    cleaned = "".join(ch for ch in url if ord(ch) > 32 and ord(ch) != 127).replace("\\", "/")
    shown = cleaned[:80]
    if cleaned.lower().startswith("data:"):
        if DATA_IMAGE.match(cleaned.lower()):
            return None
        return f"“{shown}”: only data:image/png, gif, jpeg or webp urls are allowed."
    try:
        parts = urlsplit(cleaned)
        host = (parts.hostname or "").lower()
    except ValueError:
        return f"“{shown}” is not a url this CSS may load."
    if not parts.scheme and not parts.netloc:
        return None  # relative to /brand.css or a path on this site
    if parts.scheme and parts.scheme not in ("http", "https"):
        return f"“{shown}”: {parts.scheme}: urls are not allowed."
    if host and (host in site or host in allowed):
        return None
    return f"“{shown}” is on another site; only this site and the allowed hosts may be loaded."


def normalise(css: str) -> str:
    """Comments removed, escapes decoded, lower-cased: what the hidden-word checks read."""
    without_comments = _COMMENT.sub("", css or "")
    return _ESCAPE.sub(_decode_escape, without_comments).lower()


def _decode_escape(match: re.Match) -> str:
    hex_digits, char = match.group(1), match.group(2)
    if hex_digits:
        code = int(hex_digits, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return char or ""  # an escaped newline continues the line


def _text_problems(css: str, words: bool = False) -> list:
    text = normalise(css)
    found = [(word, why) for pattern, word, why in _HIDDEN if pattern.search(text)]
    less_than = _HIDDEN[-1][1:]
    if "<" in (css or "") and less_than not in found:  # "\\3c" decodes to "<", a raw one stays
        found.append(less_than)
    return found if words else [why for _word, why in found]


def _hosts(hosts: Iterable[str] | str) -> set[str]:
    if isinstance(hosts, str):
        hosts = re.split(r"[\s,]+", hosts)
    return {host.strip().lower() for host in hosts if host and host.strip()}
