"""Colour roles and colour maths: hex validation and WCAG 2.2 contrast (relative luminance,
ratio, levels)."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ColourRole(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    ACCENT = "accent", _("Accent")
    BACKGROUND = "background", _("Background")
    SURFACE = "surface", _("Surface")
    TEXT = "text", _("Text")
    SUCCESS = "success", _("Success")
    WARNING = "warning", _("Warning")
    DANGER = "danger", _("Danger")


HEX = re.compile(r"#[0-9A-Fa-f]{6}")
SHORT_HEX = re.compile(r"#[0-9A-Fa-f]{3}")

# Roles that carry text, and the page backgrounds text sits on: every text role on each.
TEXT_ROLES = ("text", "primary", "secondary", "accent", "success", "warning", "danger")
BACKGROUND_ROLES = ("background", "surface")
# Colour fills that carry text of their own (buttons, badges, banners, the email header): the
# text on them is white (what console, storefront and email buttons use) or the text colour.
FILL_ROLES = ("primary", "secondary", "accent", "success", "warning", "danger")
FILL_TEXT_ROLES = ("white", "text")
# Fixed colours that are not palette roles but are set on palette fills.
FIXED = {"white": "#FFFFFF"}


def normalise_hex(value: str) -> str:
    """'#abc' / 'abc' / ' #AaBbCc ' -> '#AABBCC'; raises ValidationError when it is not a colour."""
    text = (value or "").strip()
    if text and not text.startswith("#"):
        text = "#" + text
    if SHORT_HEX.fullmatch(text):
        text = "#" + "".join(ch * 2 for ch in text[1:])
    if not HEX.fullmatch(text):
        raise ValidationError(
            _("“%(value)s” is not a hex colour; use #RRGGBB, for example #1F4E79."),
            code="invalid_hex", params={"value": value},
        )
    return text.upper()


def validate_hex(value: str) -> None:
    if not HEX.fullmatch(value or ""):
        normalise_hex(value)  # raises with the message
        raise ValidationError(_("Write the colour as #RRGGBB."), code="invalid_hex")


def rgb(hex_value: str) -> tuple[int, int, int]:
    h = normalise_hex(hex_value)
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_value: str) -> float:
    r, g, b = rgb(hex_value)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    a, b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def level(ratio: float) -> str:
    """WCAG 2.2 level for normal-size text: AAA >= 7, AA >= 4.5, 'AA large' >= 3, else fail."""
    if ratio >= 7:
        return "AAA"
    if ratio >= 4.5:
        return "AA"
    if ratio >= 3:
        return "AA-large"
    return "fail"


@dataclass(frozen=True)
class Pair:
    text_role: str
    background_role: str
    text: str
    background: str
    ratio: float
    level: str

    @property
    def passes_aa(self) -> bool:
        return self.level in {"AA", "AAA"}


    @property
    def text_label(self) -> str:
        return role_label(self.text_role)

    @property
    def background_label(self) -> str:
        return role_label(self.background_role)

    @property
    def fails(self) -> bool:
        return self.level == "fail"


def role_label(role: str) -> str:
    if role == "white":
        return str(_("White (button text)"))
    return str(dict(ColourRole.choices).get(role, role))


def contrast_matrix(colours: dict[str, str]) -> list[Pair]:
    """Every text role on each page background, then the text set on colour fills (white button
    text on primary, the text colour on accent, ...). A colour on itself is skipped."""
    pairs = []
    known = {**FIXED, **colours}
    plan = [(bg, TEXT_ROLES) for bg in BACKGROUND_ROLES] + [(fill, FILL_TEXT_ROLES) for fill in FILL_ROLES]
    for bg_role, text_roles in plan:
        if bg_role not in colours:
            continue
        for text_role in text_roles:
            if text_role not in known or text_role == bg_role:
                continue
            ratio = contrast_ratio(known[text_role], colours[bg_role])
            pairs.append(Pair(text_role, bg_role, known[text_role], colours[bg_role], round(ratio, 2), level(ratio)))
    return pairs


def matrix_failures(pairs: list[Pair]) -> list[Pair]:
    """The pairs that fail even the large-text level (below 3:1)."""
    return [pair for pair in pairs if pair.fails]


def readable_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return "#FFFFFF" if contrast_ratio("#FFFFFF", background) >= contrast_ratio("#000000", background) else "#000000"
