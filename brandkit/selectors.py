"""Reads of the brand kit. ``theme()`` is what every page and message renders with."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    brand_name: str = "Omnishop"
    tagline: str = ""
    colours: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLOURS))
    heading_font: str = "'Noto Sans JP', system-ui, sans-serif"
    body_font: str = "'Noto Sans JP', system-ui, sans-serif"
    logo_url: str = ""
    legal_footer: str = ""

    @property
    def css_variables(self) -> str:
        lines = [f"--color-{role}: {value};" for role, value in self.colours.items()]
        lines += [f"--font-heading: {self.heading_font};", f"--font-body: {self.body_font};"]
        return ":root{" + "".join(lines) + "}"


DEFAULT_COLOURS = {
    "primary": "#1F4E79",
    "secondary": "#5B6B7A",
    "accent": "#C8553D",
    "background": "#FAFAF7",
    "surface": "#FFFFFF",
    "text": "#1D232A",
    "success": "#2E7D32",
    "warning": "#8A5A00",
    "danger": "#B3261E",
}


def theme() -> Theme:
    return Theme()
