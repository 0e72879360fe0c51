"""The custom CSS rules (issue 22, item 5): one test per rule, on save (css_problems) and when
served (confine_css)."""
from __future__ import annotations

import pytest

from community.content.css import confine_css, css_problems, normalise

SITE = ["community.example"]


def problems(css: str, allowed=(), site=SITE) -> list[str]:
    return css_problems(css, allowed, site)


def test_ordinary_css_passes_and_is_served_as_written():
    css = (
        ".brand-name { letter-spacing: 1px; color: var(--brand-primary) !important }\n"
        "@media (max-width: 600px) { .site-header { padding: 4px } }\n"
        "@font-face { font-family: Brand; src: url(/static/brand.woff2) format('woff2') }\n"
        ".hero { background: url('img/hero.png'), url(data:image/png;base64,iVBORw0KGgo=) }\n"
        "@keyframes pulse { from { opacity: 0 } to { opacity: 1 } }"
    )
    assert problems(css) == []
    assert confine_css(css, (), SITE) == css


@pytest.mark.parametrize("css", [
    "a{content:'</style><script>alert(1)</script>'}",
    "/* </style> */ a{color:red}",
    r"a{content:'\3c /style>'}",  # escaped
])
def test_a_less_than_sign_is_refused_plain_or_escaped(css):
    assert any("less-than" in p for p in problems(css))
    assert "<" not in confine_css(css)


@pytest.mark.parametrize("css", [
    "a{width:expression(alert(1))}",
    r"a{width:\65xpression(alert(1))}",  # a CSS escape
    r"a{width:\000045XPRESSION(alert(1))}",
    "a{width:ex/**/pression(alert(1))}",  # a comment splitting the word
])
def test_expression_is_refused_however_hidden(css):
    assert any("expression() is not allowed" in p for p in problems(css))
    assert "pression(alert" not in confine_css(css)


@pytest.mark.parametrize("css", [
    "a{behavior:url(evil.htc)}",
    r"a{beh\61vior:url(evil.htc)}",
    "a{-ms-behavior:url(evil.htc)}",
    "a{-moz-binding:url(evil.xml#x)}",
    r"a{-moz-b\69nding:url(evil.xml#x)}",
])
def test_behavior_and_moz_binding_are_refused(css):
    assert problems(css)
    assert "htc" not in confine_css(css) and "evil.xml" not in confine_css(css)


def test_a_class_named_behavior_is_no_behavior_property():
    assert problems(".behavior:hover{color:red}") == []


@pytest.mark.parametrize("css", [
    "@import url(https://evil.example/x.css);",
    "@import 'https://evil.example/x.css';",
    "@import '//evil.example/x.css';",
    "@IMPORT url(HTTPS://EVIL.EXAMPLE/x.css);",
])
def test_import_of_another_origin_is_refused_even_when_the_host_is_allowed_for_images(css):
    assert any("@import may only load this site" in p for p in problems(css, allowed=["evil.example"]))
    assert "evil" not in confine_css(css, ["evil.example"], SITE).lower().replace("“", "").split("dropped")[0]


def test_import_of_this_sites_own_stylesheets_is_allowed():
    assert problems("@import '/static/extra.css';") == []
    assert problems("@import url(https://community.example/static/extra.css);") == []


@pytest.mark.parametrize("url", [
    "https://evil.example/a.png",
    "//evil.example/a.png",
    r"/\\evil.example/a.png",  # CSS for "/\evil...": browsers read "\" as "/"
    "http://evil.example:443/a.png",
])
def test_url_to_another_origin_is_refused(url):
    css = f"a{{background:url('{url}')}} b{{color:red}}"
    assert any("another site" in p for p in problems(css))
    served = confine_css(css, (), SITE)
    assert "background" not in served and "b{color:red;}" in served


def test_url_to_an_allowed_host_is_kept():
    css = "a{background:url(https://cdn.example/a.png)}"
    assert problems(css, allowed=["cdn.example"]) == []
    assert problems(css, allowed="cdn.example, fonts.example") == []  # the setting's comma form
    assert "cdn.example/a.png" in confine_css(css, ["cdn.example"], SITE)
    assert problems(css) != []  # not without the allow-list


@pytest.mark.parametrize("value", [
    "url(javascript:alert(1))",
    "url('JaVaScRiPt:alert(1)')",
    "url(' \tjavascript:alert(1)')",
    r"url(java\73 cript:alert(1))",
    "url(vbscript:msgbox)",
    "url(data:text/html,<b>)",
    "url(data:image/svg+xml,%3Csvg%3E)",
    "url(file:///etc/passwd)",
    "src('javascript:alert(1)')",
    "image-set('https://evil.example/a.png' 1x)",
])
def test_urls_other_than_http_relative_and_data_images_are_refused(value):
    css = f"a{{background:{value}}}"
    assert problems(css)
    assert "background" not in confine_css(css, (), SITE)


@pytest.mark.parametrize("kind", ["png", "gif", "jpeg", "webp"])
def test_data_images_of_the_four_raster_types_are_allowed(kind):
    assert problems(f"a{{background:url(data:image/{kind};base64,AAAA)}}") == []


def test_css_that_cannot_be_read_is_refused_on_save_and_dropped_when_served():
    css = "a{color:red} *zoom:1; } b{color:blue}"
    assert any("could not be read" in p for p in problems(css))
    served = confine_css(css)
    assert "a{color:red;}" in served and "zoom" not in served


def test_serving_keeps_the_rest_when_dropping_the_offending_declaration():
    css = "@media (max-width: 600px) { a { color: red } b { background: url(//evil.example/x) } }"
    served = confine_css(css)
    assert served.startswith("@media (max-width: 600px){a{color: red;}b{/* Parley dropped a declaration:")


def test_serving_drops_only_the_offending_declaration_with_a_comment_saying_why():
    served = confine_css("a{color:red;background:url(https://evil.example/x.png);margin:0}")
    assert served.startswith("a{color:red;/* Parley dropped a declaration:")
    assert "another site" in served and served.endswith("margin:0;}")


def test_a_quoted_url_cannot_close_the_comment_that_explains_its_removal():
    served = confine_css("a{background:url('javascript:x*/} body{display:none}')}")
    assert served.count("*/") == 1 and "display:none" not in served.split("*/")[1]


def test_problems_name_the_line():
    assert problems("a{color:red}\n\nb{behavior:url(x.htc)}") == ["Line 3: The behavior property is not allowed."]


def test_normalise_decodes_escapes_and_removes_comments():
    assert normalise(r"E\58 P/* x */ression\(") == "expression("
