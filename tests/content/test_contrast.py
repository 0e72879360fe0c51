"""Brand colours adapted for WCAG AA in both schemes (community/content/contrast.py)."""
import pytest

from community.content import contrast


def test_ratio_matches_the_wcag_reference_values():
    assert contrast.ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast.ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast.ratio("#fff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize("primary", ["#0b6e4f", "#1f5eff", "#ffdd00", "#777777", "#000000", "#ffffff", "#ff7a1a"])
def test_link_colours_keep_aa_on_every_surface_of_each_scheme(primary):
    light, dark = contrast.link_colours(primary)
    assert min(contrast.ratio(light, surface) for surface in contrast.LIGHT_SURFACES) >= 4.5
    assert min(contrast.ratio(dark, surface) for surface in contrast.DARK_SURFACES) >= 4.5


def test_a_colour_that_already_reads_is_kept():
    light, _dark = contrast.link_colours("#0b4f3a")
    assert light == "#0b4f3a"


def test_text_on_a_button_picks_the_readable_one():
    assert contrast.text_on("#0b6e4f") == "#ffffff"
    assert contrast.text_on("#ffdd00") == "#111418"


def test_brand_css_serves_the_derived_colours(client):
    css = client.get("/brand.css").get_data(as_text=True)
    assert "--brand-link-light:" in css and "--brand-link-dark:" in css and "--on-primary:" in css
