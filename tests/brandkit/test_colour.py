import pytest
from django.core.exceptions import ValidationError

from brandkit.colour import contrast_matrix, contrast_ratio, level, matrix_failures, normalise_hex


def test_black_on_white_is_21_to_1_and_aaa():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert level(21) == "AAA"


@pytest.mark.parametrize("fg, bg, expected", [
    ("#767676", "#FFFFFF", "AA"),       # 4.54:1, the classic AA grey
    ("#949494", "#FFFFFF", "AA-large"),  # ~3.03:1
    ("#FFFFFF", "#FFFF00", "fail"),
])
def test_levels_follow_wcag_thresholds(fg, bg, expected):
    assert level(contrast_ratio(fg, bg)) == expected


@pytest.mark.parametrize("value", ["#12345", "blue", "#GGGGGG", "", "#1234567"])
def test_invalid_hex_is_refused(value):
    with pytest.raises(ValidationError):
        normalise_hex(value)


def test_short_and_lowercase_hex_is_normalised():
    assert normalise_hex("abc") == "#AABBCC"
    assert normalise_hex(" #1f4e79 ") == "#1F4E79"


def test_matrix_covers_every_text_role_on_every_background():
    palette = {"text": "#1D232A", "primary": "#1F4E79", "background": "#FAFAF7", "surface": "#FFFFFF",
               "accent": "#C8553D"}
    pairs = {(p.text_role, p.background_role): p for p in contrast_matrix(palette)}
    assert ("text", "background") in pairs and ("accent", "surface") in pairs and ("text", "primary") in pairs
    assert ("primary", "primary") not in pairs
    assert pairs[("text", "background")].level == "AAA"


def test_matrix_includes_white_button_text_on_fills_and_flags_failures():
    palette = {"text": "#1D232A", "primary": "#1F4E79", "background": "#FAFAF7", "surface": "#FFFFFF",
               "accent": "#FFD54F"}
    pairs = {(p.text_role, p.background_role): p for p in contrast_matrix(palette)}
    assert pairs[("white", "primary")].level == "AAA"  # white button text on primary
    assert pairs[("white", "accent")].level == "fail"  # white on a light yellow accent
    assert ("white", "accent") in {(p.text_role, p.background_role) for p in matrix_failures(list(pairs.values()))}
    assert ("white", "background") not in pairs
