"""Reads of the brand kit. ``theme()`` is what every page and message renders with.

The theme comes from the default brand's active kit's published version, is cached in the
Django cache (``THEME_KEY``) and invalidated when a version is published; without any
published kit the defaults below apply. Compiled lint rules are cached per process by
version (published versions never change; drafts are keyed by their ``updated_at``).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

THEME_KEY = "brandkit:theme:v1"
ACTIVE_KEY = "brandkit:active-version:v1"
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Theme:
    brand_name: str = "Omnishop"
    tagline: str = ""
    colours: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLOURS))
    heading_font: str = "'Noto Sans JP', system-ui, sans-serif"
    body_font: str = "'Noto Sans JP', system-ui, sans-serif"
    logo_url: str = ""
    legal_footer: str = ""
    version_id: int | None = None
    type_scale: dict[str, str] = field(default_factory=dict)

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
_SAFE_SIZE = set("0123456789.remxptvhw%")


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


def theme_for_version(version) -> Theme:
    from .colour import HEX

    identity = version.identity or {}
    typography = version.typography or {}
    colours = dict(DEFAULT_COLOURS)
    colours.update({c.role: c.hex for c in version.palette.all() if HEX.fullmatch(c.hex)})
    logo = next((logo for logo in version.logos.all() if logo.is_primary), None)
    scale = {k: v for k, v in (typography.get("scale") or {}).items()
             if str(k).isidentifier() and set(str(v)) <= _SAFE_SIZE}
    return Theme(
        brand_name=identity.get("brand_name") or "Omnishop",
        tagline=identity.get("tagline", ""),
        colours=colours,
        heading_font=font_stack(typography.get("heading"), Theme.heading_font),
        body_font=font_stack(typography.get("body"), Theme.body_font),
        logo_url=logo.original.url if logo else "",
        legal_footer=identity.get("legal_footer", ""),
        version_id=version.pk,
        type_scale=scale,
    )


def active_version(brand=None):
    """The published version of the active kit of ``brand`` (default: the default brand), or None."""
    from .models import BrandKitVersion

    versions = BrandKitVersion.objects.filter(kit__is_active=True, kit__published_version_id=F("id"))
    if brand is not None:
        versions = versions.filter(kit__brand=brand)
    else:
        versions = versions.order_by("-kit__brand__is_default", "kit__brand_id")
    return versions.select_related("kit__brand").prefetch_related("palette", "logos").first()


def theme() -> Theme:
    cached = cache.get(THEME_KEY)
    if cached is not None:
        return cached
    version = active_version()
    value = theme_for_version(version) if version else Theme()
    cache.set(THEME_KEY, value, CACHE_SECONDS)
    return value


def active_version_id() -> int | None:
    cached = cache.get(ACTIVE_KEY)
    if cached is not None:
        return cached or None
    version = active_version()
    cache.set(ACTIVE_KEY, version.pk if version else 0, CACHE_SECONDS)
    return version.pk if version else None


def invalidate() -> None:
    cache.delete_many([THEME_KEY, ACTIVE_KEY])


# --- compiled rules -------------------------------------------------------------------------

_compiled: dict = {}


def compiled_kit(version=None):
    """The ``CompiledKit`` for ``version`` (default: the active published one), built once."""
    from .linting import CompiledKit
    from .models import BrandKitVersion

    if version is None:
        version_id = active_version_id()
        if version_id is None:
            key = ("none",)
            if key not in _compiled:
                _compiled[key] = CompiledKit.build(rules=[], channel_rules={}, notation={}, legal_footer="")
            return _compiled[key]
        key = (version_id, "published")
        if key in _compiled:
            return _compiled[key]
        version = BrandKitVersion.objects.get(pk=version_id)
    key = (version.pk, "published") if not version.is_draft else (version.pk, version.updated_at.isoformat())
    kit = _compiled.get(key)
    if kit is None:
        rules = list(version.rules.values("id", "kind", "pattern", "replacement", "message", "severity", "channels"))
        kit = CompiledKit.build(rules=rules, channel_rules=version.channel_rules, notation=version.notation,
                                legal_footer=(version.identity or {}).get("legal_footer", ""))
        if len(_compiled) > 64:
            _compiled.clear()
        _compiled[key] = kit
    return kit


# --- pages ----------------------------------------------------------------------------------

def kits():
    from .models import BrandKit

    return BrandKit.objects.select_related("brand", "published_version").order_by("-brand__is_default", "brand__name")


def kit_default():
    return kits().filter(is_active=True).first()


def version_detail(version_id: int):
    from .models import BrandKitVersion

    return (BrandKitVersion.objects.select_related("kit__brand", "published_by", "created_by")
            .prefetch_related("palette", "rules", "logos").get(pk=version_id))


def kit_history(kit):
    from .models import VersionStatus

    return list(kit.versions.filter(status=VersionStatus.PUBLISHED).select_related("published_by")
                .prefetch_related("palette", "rules", "logos").order_by("-number"))


def snapshot(version) -> dict:
    """A plain, comparable picture of a version (what the history diffs)."""
    return {
        "identity": version.identity or {},
        "tone": version.tone or {},
        "typography": version.typography or {},
        "logo_rules": version.logo_rules or {},
        "channel_templates": version.channel_templates or {},
        "channel_rules": version.channel_rules or {},
        "notation": version.notation or {},
        "ugc_guidelines": version.ugc_guidelines,
        "palette": {c.role: c.hex for c in version.palette.all()},
        "rules": sorted(f"{r.kind}: {r.pattern}" + (f" → {r.replacement}" if r.replacement else "")
                        for r in version.rules.all()),
        "logos": sorted(logo.original.name for logo in version.logos.all()),
    }


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added / removed / changed
    before: object = None
    after: object = None


def _flatten(value, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def diff(before: dict, after: dict) -> list[Change]:
    """What changed between two snapshots, path by path (rules and logos compare as sets)."""
    changes: list[Change] = []
    for key in ("rules", "logos"):
        old, new = set(before.get(key, [])), set(after.get(key, []))
        changes += [Change(key, "added", None, item) for item in sorted(new - old)]
        changes += [Change(key, "removed", item, None) for item in sorted(old - new)]
    flat_before: dict = {}
    flat_after: dict = {}
    _flatten({k: v for k, v in before.items() if k not in ("rules", "logos")}, "", flat_before)
    _flatten({k: v for k, v in after.items() if k not in ("rules", "logos")}, "", flat_after)
    for path in sorted(set(flat_before) | set(flat_after)):
        if path not in flat_before:
            changes.append(Change(path, "added", None, flat_after[path]))
        elif path not in flat_after:
            changes.append(Change(path, "removed", flat_before[path], None))
        elif flat_before[path] != flat_after[path]:
            changes.append(Change(path, "changed", flat_before[path], flat_after[path]))
    return changes


def history_with_diffs(kit) -> list[tuple]:
    """[(version, [Change])] newest first; each version is compared with the one before it."""
    versions = kit_history(kit)
    snaps = [snapshot(v) for v in versions]
    out = []
    for index, version in enumerate(versions):
        previous = snaps[index + 1] if index + 1 < len(snaps) else {}
        out.append((version, diff(previous, snaps[index])))
    return out


def consistency_scores(days: int = 30) -> dict[str, dict]:
    """Per channel: recorded checks in the last ``days`` and the share with no errors (0-100)."""
    from .models import Channel, LintCheck

    since = timezone.now() - timedelta(days=days)
    rows = (LintCheck.objects.filter(created_at__gte=since).values("channel")
            .annotate(total=Count("id"), clean=Count("id", filter=Q(errors=0))))
    by_channel = {row["channel"]: row for row in rows}
    scores = {}
    for code, label in Channel.choices:
        row = by_channel.get(code)
        total = row["total"] if row else 0
        scores[code] = {"label": label, "total": total,
                        "score": round(100 * row["clean"] / total) if total else None}
    return scores

