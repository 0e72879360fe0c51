"""WCAG 2 contrast for brand colours: a brand picks one primary colour, and the theme derives from it
the link colours that keep AA (4.5:1) on the light and on the dark backgrounds, and the text colour
that reads on a primary-coloured button."""
from __future__ import annotations

AA = 4.5
# The darkest background link-coloured text sits on, in each scheme (badges' tints, site.css).
LIGHT_SURFACES = ("#ffffff", "#f6f7f9", "#eef0f3", "#e6f0ff")
DARK_SURFACES = ("#1b1f25", "#111418", "#2a303a", "#1a2233")


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = hex_colour.lstrip("#")
    if len(value) in (3, 4):
        value = "".join(ch * 2 for ch in value[:3])
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(max(channel, 0.0), 1.0) * 255):02x}" for channel in rgb)


def luminance(hex_colour: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(hex_colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def ratio(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _worst(colour: str, surfaces: tuple[str, ...]) -> float:
    return min(ratio(colour, surface) for surface in surfaces)


def _mix(colour: str, target: str, amount: float) -> str:
    start, end = _rgb(colour), _rgb(target)
    return _hex(tuple(a + (b - a) * amount for a, b in zip(start, end)))


def readable_on(colour: str, surfaces: tuple[str, ...], towards: str) -> str:
    """`colour`, moved towards black or white in small steps until it reads (AA) on every surface."""
    for step in range(0, 21):
        candidate = _mix(colour, towards, step / 20)
        if _worst(candidate, surfaces) >= AA:
            return candidate
    return towards


def link_colours(primary: str) -> tuple[str, str]:
    """(link colour for the light scheme, for the dark scheme)."""
    return readable_on(primary, LIGHT_SURFACES, "#000000"), readable_on(primary, DARK_SURFACES, "#ffffff")


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on `background` (a button, a badge)."""
    return "#ffffff" if ratio("#ffffff", background) >= ratio("#111418", background) else "#111418"
