import pytest

from community.bridge.post_length import MAX_WEIGHTED_LENGTH, is_too_long, weighted_length

LONG_URL = "https://support.example.com/articles/" + "a" * 80


@pytest.mark.parametrize(("text", "expected"), [
    ("hello", 5),
    ("日本語", 6),                        # CJK weighs 2 each
    ("👍", 2),
    ("👍🏽", 2),                           # skin tone modifier joins the emoji
    ("👨‍👩‍👧", 2),                        # ZWJ family sequence is one emoji
    ("🇫🇷", 2),                           # a flag is two regional indicators, one emoji
    (chr(4351), 1), (chr(4352), 2),       # edge of the first light range
    ("\u2010", 1), ("\u2030", 2), ("\u2032", 1),  # 8208 light, 8240 heavy, 8242 light
    (LONG_URL, 23),
    ("see example.com/help now", 4 + 23 + 4),
    ("e\u0301", 1),                       # NFC folds e + combining accent into é
])
def test_weighted_length(text, expected):
    assert weighted_length(text) == expected


def test_limit_boundaries():
    assert not is_too_long("a" * MAX_WEIGHTED_LENGTH)
    assert is_too_long("a" * (MAX_WEIGHTED_LENGTH + 1))
    assert not is_too_long("字" * 140)
    assert is_too_long("字" * 141)
    # A long URL still weighs 23, so 257 more characters fit exactly.
    assert not is_too_long(LONG_URL + " " + "a" * 256)
    assert is_too_long(LONG_URL + " " + "a" * 257)
