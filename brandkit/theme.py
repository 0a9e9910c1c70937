"""The theme every page and message renders with: built from the active kit, cached, invalidated.

``theme()`` is what the console, the storefront and the emails read (the context processor,
the order emails); ``invalidate()`` is what a publish or a change of default brand calls.

How the theme is cached, and how a publish reaches every process
---------------------------------------------------------------
The theme comes from the default brand's active kit's published version; without any
published kit the defaults below apply. Two cache entries are used:

* ``ACTIVE_KEY`` holds ``(version_id, checked_at)``: which published version is active, and
  when that was last read from the database (one cheap ``values_list`` query on BrandKit).
* ``theme_key(version_id)`` holds the built ``Theme`` of that version. Published versions never
  change, so this entry is valid for as long as it lives (a day); a newer version simply has
  another key.

``theme()`` reads the active version id from ``ACTIVE_KEY`` and re-checks the database when the
entry is older than ``check_seconds()``. Publishing calls ``invalidate()``, which deletes
``ACTIVE_KEY``:

* with a shared cache (``REDIS_URL`` set: RedisCache) every process sees the delete at once,
  so the check interval is long (``CACHE_SECONDS``);
* with the default per-process local-memory cache, other processes (gunicorn workers, the
  django-q2 cluster) cannot see the delete; they re-read the active version id at most every
  ``BRANDKIT_THEME_CHECK_SECONDS`` (setting, default 5 s) and then build the new theme. A
  publish therefore restyles every process within a few seconds without a deploy.

A page costs no query for the theme while the check is fresh, one query when it is due, and
three (version + palette + logos) only the first time a process meets a new version: the same
whatever the size of the catalogue or the kit. (Compiled lint rules are cached per process by
version in ``linting.compiled_kit``, which reads the active version id from here.)
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils.safestring import mark_safe

from kernel.site import absolute_url

from .colour import HEX, readable_on
from .models import BrandKit, BrandKitVersion

THEME_KEY = "brandkit:theme:v2"
ACTIVE_KEY = "brandkit:active-version:v2"
CACHE_SECONDS = 300
THEME_SECONDS = 24 * 3600
LOCAL_CHECK_SECONDS = 5
# Fonts every mail client has, appended to the kit's stacks in emails (web fonts rarely load there).
EMAIL_SAFE_FONTS = ("Hiragino Kaku Gothic ProN", "Hiragino Sans", "Meiryo", "Yu Gothic", "Arial", "sans-serif")

_clock = time.time  # tests move it forward to expire the active-version check


def theme_key(version_id: int | None) -> str:
    return f"{THEME_KEY}:{version_id or 0}"


def cache_is_shared() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def check_seconds() -> float:
    """How long a process trusts its idea of the active version before asking the database."""
    if cache_is_shared():
        return CACHE_SECONDS
    return getattr(settings, "BRANDKIT_THEME_CHECK_SECONDS", LOCAL_CHECK_SECONDS)


@dataclass(frozen=True)
class Theme:
    brand_name: str = "Omnishop"
    tagline: str = ""
    colours: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLOURS))
    heading_font: str = "'Noto Sans JP', system-ui, sans-serif"
    body_font: str = "'Noto Sans JP', system-ui, sans-serif"
    logo_url: str = ""
    legal_name: str = ""  # the company (法人) name: the seller on receipts unless INVOICE_SELLER_NAME is set
    legal_footer: str = ""
    version_id: int | None = None
    type_scale: dict[str, str] = field(default_factory=dict)
    logo_png_url: str = ""  # the full-colour PNG rendition (email-safe)
    favicon_url: str = ""  # the 32 px favicon rendition of the primary logo
    email_font: str = "'Noto Sans JP', 'Hiragino Kaku Gothic ProN', Meiryo, Arial, sans-serif"
    email_heading_font: str = "'Noto Sans JP', 'Hiragino Kaku Gothic ProN', Meiryo, Arial, sans-serif"
    email_header: str = ""
    email_footer: str = ""
    email_layout: str = ""  # the order of a campaign email's blocks (campaigns.rendering.email_blocks)
    sms_signature: str = ""

    @property
    def on_primary(self) -> str:
        """Text colour for buttons and the email header on the primary colour."""
        return readable_on(self.colours.get("primary", DEFAULT_COLOURS["primary"]))

    @property
    def logo_absolute_url(self) -> str:
        """The email logo as an absolute URL (``SITE_URL`` + the PNG rendition), or ''."""
        return absolute_url(self.logo_png_url or self.logo_url)

    @property
    def css_variables(self) -> str:
        """``:root{--color-primary: #1F4E79; ...}``. Marked safe for the <style> element (where
        HTML escaping would break the quoted font names): every value is checked when the theme
        is built (hex colours, font names and sizes from a small character set)."""
        lines = [f"--color-{role}: {value};" for role, value in self.colours.items()]
        lines += [f"--font-heading: {self.heading_font};", f"--font-body: {self.body_font};"]
        lines += [f"--type-{name}: {size};" for name, size in self.type_scale.items()]
        return mark_safe(":root{" + "".join(lines) + "}")  # noqa: S308 - values validated, see above


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

_SAFE_FONT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_")
SAFE_SIZE = set("0123456789.remxptvhw%")


def font_stack(spec: dict | None, default: str) -> str:
    """A CSS font-family list from {"family", "fallbacks"}; names are quoted, odd ones dropped."""
    if not spec or not spec.get("family"):
        return default
    names = [spec["family"], *spec.get("fallbacks", [])]
    out = []
    for name in names:
        name = str(name).strip()
        if not name or not set(name) <= _SAFE_FONT:
            continue
        generic = name in {"serif", "sans-serif", "system-ui", "monospace", "cursive"}
        out.append(name if generic else f"'{name}'")
    return ", ".join(out) or default


def email_font_stack(spec: dict | None, default: str) -> str:
    """The kit's family and fallbacks followed by fonts every mail client has."""
    spec = dict(spec or {})
    names = [spec.get("family") or "Noto Sans JP", *spec.get("fallbacks", [])]
    names += [name for name in EMAIL_SAFE_FONTS if name not in names]
    generic = [name for name in names if name in {"serif", "sans-serif", "monospace"}]
    names = [name for name in names if name not in generic and name != "system-ui"] + (generic or ["sans-serif"])
    return font_stack({"family": names[0], "fallbacks": names[1:]}, default)


def theme_for_version(version) -> Theme:
    identity = version.identity or {}
    typography = version.typography or {}
    email_template = (version.channel_templates or {}).get("email") or {}
    sms_template = (version.channel_templates or {}).get("sms") or {}
    colours = dict(DEFAULT_COLOURS)
    colours.update({c.role: c.hex for c in version.palette.all() if HEX.fullmatch(c.hex)})
    logo = next((logo for logo in version.logos.all() if logo.is_primary), None)
    scale = {k: v for k, v in (typography.get("scale") or {}).items()
             if str(k).isidentifier() and set(str(v)) <= SAFE_SIZE}
    return Theme(
        brand_name=identity.get("brand_name") or "Omnishop",
        tagline=identity.get("tagline", ""),
        colours=colours,
        heading_font=font_stack(typography.get("heading"), Theme.heading_font),
        body_font=font_stack(typography.get("body"), Theme.body_font),
        logo_url=logo.original.url if logo else "",
        logo_png_url=default_storage.url(logo.variants["full"]) if logo and logo.variants.get("full") else "",
        favicon_url=default_storage.url(logo.variants["favicon-32"]) if logo and logo.variants.get("favicon-32") else "",
        legal_name=str(identity.get("legal_name", "")).strip(),
        legal_footer=identity.get("legal_footer", ""),
        version_id=version.pk,
        type_scale=scale,
        email_font=email_font_stack(typography.get("body"), Theme.email_font),
        email_heading_font=email_font_stack(typography.get("heading"), Theme.email_heading_font),
        email_header=str(email_template.get("header", "")),
        email_footer=str(email_template.get("footer", "")),
        email_layout=str(email_template.get("layout", "")),
        sms_signature=str(sms_template.get("signature", "")),
    )


def active_version(brand=None):
    """The published version of the active kit of ``brand`` (default: the default brand), or None."""
    versions = BrandKitVersion.objects.filter(kit__is_active=True, kit__published_version_id=F("id"))
    if brand is not None:
        versions = versions.filter(kit__brand=brand)
    else:
        versions = versions.order_by("-kit__brand__is_default", "kit__brand_id")
    return versions.select_related("kit__brand").prefetch_related("palette", "logos").first()


def theme() -> Theme:
    """The active theme; see the module docstring for how it is cached across processes."""
    version_id = active_version_id()
    key = theme_key(version_id)
    cached = cache.get(key)
    if cached is not None:
        return cached
    version = None
    if version_id:
        version = BrandKitVersion.objects.prefetch_related("palette", "logos").filter(pk=version_id).first()
    value = theme_for_version(version) if version else Theme()
    cache.set(key, value, THEME_SECONDS)
    return value


def _read_active_version_id() -> int | None:
    """One cheap query: the published version id of the default brand's active kit."""
    return (BrandKit.objects.filter(is_active=True, published_version__isnull=False)
            .order_by("-brand__is_default", "brand_id").values_list("published_version_id", flat=True).first())


def active_version_id() -> int | None:
    cached = cache.get(ACTIVE_KEY)
    now = _clock()
    if cached is not None:
        version_id, checked_at = cached
        if now - checked_at < check_seconds():
            return version_id or None
    version_id = _read_active_version_id()
    cache.set(ACTIVE_KEY, (version_id or 0, now), THEME_SECONDS)
    return version_id


def invalidate() -> None:
    """Forget the active version (every process at once with a shared cache; see above)."""
    cache.delete(ACTIVE_KEY)
