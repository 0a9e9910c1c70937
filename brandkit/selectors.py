"""Reads of the brand kit. ``theme()`` is what every page and message renders with.

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
whatever the size of the catalogue or the kit. Compiled lint rules are cached per process by
version (published versions never change; drafts are keyed by their ``updated_at``).
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from kernel.site import absolute_url

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
    sms_signature: str = ""

    @property
    def on_primary(self) -> str:
        """Text colour for buttons and the email header on the primary colour."""
        from .colour import readable_on

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


def email_font_stack(spec: dict | None, default: str) -> str:
    """The kit's family and fallbacks followed by fonts every mail client has."""
    spec = dict(spec or {})
    names = [spec.get("family") or "Noto Sans JP", *spec.get("fallbacks", [])]
    names += [name for name in EMAIL_SAFE_FONTS if name not in names]
    generic = [name for name in names if name in {"serif", "sans-serif", "monospace"}]
    names = [name for name in names if name not in generic and name != "system-ui"] + (generic or ["sans-serif"])
    return font_stack({"family": names[0], "fallbacks": names[1:]}, default)


def theme_for_version(version) -> Theme:
    from django.core.files.storage import default_storage

    from .colour import HEX

    identity = version.identity or {}
    typography = version.typography or {}
    email_template = (version.channel_templates or {}).get("email") or {}
    sms_template = (version.channel_templates or {}).get("sms") or {}
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
        sms_signature=str(sms_template.get("signature", "")),
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
    """The active theme; see the module docstring for how it is cached across processes."""
    version_id = active_version_id()
    key = theme_key(version_id)
    cached = cache.get(key)
    if cached is not None:
        return cached
    version = None
    if version_id:
        from .models import BrandKitVersion

        version = BrandKitVersion.objects.prefetch_related("palette", "logos").filter(pk=version_id).first()
    value = theme_for_version(version) if version else Theme()
    cache.set(key, value, THEME_SECONDS)
    return value


def _read_active_version_id() -> int | None:
    """One cheap query: the published version id of the default brand's active kit."""
    from .models import BrandKit

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


def brand_kits():
    """Every brand's active kit (default brand first), for the console's brand switcher."""
    return list(kits().filter(is_active=True))


def guide_rules(version) -> list:
    """The version's editorial rules for the guide, each with a short name of its kind."""
    from django.utils.translation import gettext as _

    short = {"banned": _("Banned"), "preferred": _("Preferred"), "spelling": _("Product name"),
             "pattern": _("Pattern")}
    rules = list(version.rules.all())
    for rule in rules:
        rule.short_kind = short.get(rule.kind, rule.kind)
    return rules


def brand_count() -> int:
    from .models import Brand

    return Brand.objects.count()


def type_scale(version) -> list[dict]:
    """The kit's type scale, in order, with a CSS-safe class per step (the guide sets each sample)."""
    scale = (version.typography or {}).get("scale") or {}
    path = "typography.scale."
    return [{"name": name, "label": path_label(path + name).rsplit(" › ", 1)[-1], "size": size}
            for name, size in scale.items() if str(name).isidentifier() and set(str(size)) <= _SAFE_SIZE]


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


# Lists whose entries are compared one by one, matched by the named key (a tone attribute by its name).
ITEM_LISTS = {"tone.attributes": "name"}


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # added / removed / changed
    before: object = None
    after: object = None
    item: str = ""  # the entry of an ITEM_LISTS list the change is about (e.g. the tone attribute's name)

    @property
    def list_path(self) -> str:
        """For an entry's change, the list's path (``tone.attributes``); else the change's own path."""
        if self.item:
            return next((path for path in ITEM_LISTS if self.path == path or self.path.startswith(path + ".")),
                        self.path)
        return self.path

    @property
    def label(self) -> str:
        """The path in words: ``channel_rules.sms.max_length`` -> "Channel rules › SMS › Maximum length";
        an entry's change names the entry: "Tone of voice › Tone attributes › 誠実 › Do examples"."""
        if not self.item:
            return path_label(self.path)
        words = [path_label(self.list_path), self.item]
        rest = self.path[len(self.list_path) + 1:]
        if rest:
            words.append(path_label(rest))
        return " › ".join(words)

    @property
    def before_display(self) -> str:
        return display_value(self.path, self.before)

    @property
    def after_display(self) -> str:
        return display_value(self.path, self.after)


def _path_labels() -> dict:
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from .models import REQUIRED_ELEMENT_LABELS, TEMPLATE_LABELS, Channel, ColourRole

    labels = {
        "identity": _("Identity"), "tone": _("Tone of voice"), "typography": _("Typography"),
        "logo_rules": _("Logo rules"), "channel_templates": _("Channel templates"),
        "channel_rules": _("Channel rules"), "notation": _("Notation"),
        "ugc_guidelines": _("Influencer / UGC guidelines"), "palette": _("Colour palette"),
        "rules": _("Editorial rules"), "logos": _("Logos"),
        "brand_name": _("Brand name"), "brand_name_en": _("Brand name (Latin letters)"), "tagline": _("Tagline"),
        "mission": _("Mission"), "vision": _("Vision"), "values": _("Core values"), "story": _("Story"),
        "legal_name": _("Company name"), "legal_footer": _("Legal footer"), "attributes": _("Tone attributes"),
        "channels": _("Channels"),
        "heading": _("Heading font"), "body": _("Body font"), "family": _("Family"), "fallbacks": _("Fallback fonts"),
        "weight": _("Weight"), "scale": _("Type scale"), "h1": _("Heading 1"), "h2": _("Heading 2"),
        "h3": _("Heading 3"), "small": _("Small text"), "min_size_px": _("Minimum size (px)"),
        "clear_space": _("Clear space"), "max_length": _("Maximum length"),
        "exclamation_max": _("Exclamation marks allowed"), "emoji": _("Emoji allowed"),
        "required": _("Required elements"), "*": _("All channels"),
        "fullwidth_alnum": _("Flag full-width digits and letters"),
        "halfwidth_katakana": _("Flag half-width katakana"),
        "long_vowel": _("Flag a hyphen used as a katakana long-vowel mark"),
        "description": pgettext("tone attribute", "Description"), "do": _("Do examples"),
        "dont": _("Don't examples"),
    }
    labels.update({key: str(label) for key, label in TEMPLATE_LABELS.items()})
    labels.update({key: str(label) for key, label in REQUIRED_ELEMENT_LABELS.items()})
    labels.update(dict(Channel.choices))
    labels.update(dict(ColourRole.choices))
    return labels


def path_label(path: str) -> str:
    labels = _path_labels()
    parts = path.split(".")
    words = []
    for index, part in enumerate(parts):
        if part == "body" and index and parts[index - 1] == "scale":
            from django.utils.translation import gettext as _

            words.append(_("Body text"))
        else:
            words.append(str(labels.get(part, part)))
    return " › ".join(words)


def display_value(path: str, value) -> str:
    """A diff value as people read it: Yes/No, lists joined, rule kinds and required elements named."""
    from django.utils.translation import gettext as _

    from .models import REQUIRED_ELEMENT_LABELS, RuleKind

    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if path == "rules" and isinstance(value, str) and ": " in value:
        kind, rest = value.split(": ", 1)
        return f"{dict(RuleKind.choices).get(kind, kind)}: {rest}"
    if path == "logos" and isinstance(value, str):
        return value.rsplit("/", 1)[-1]
    if path == "tone.attributes" and isinstance(value, dict):  # a whole attribute added or removed
        parts = [str(value.get("description") or "")]
        if value.get("do"):
            parts.append(_("Do: %(examples)s") % {"examples": " / ".join(map(str, value["do"]))})
        if value.get("dont"):
            parts.append(_("Don't: %(examples)s") % {"examples": " / ".join(map(str, value["dont"]))})
        return " · ".join(part for part in parts if part)
    if path in ("tone.attributes.do", "tone.attributes.dont") and isinstance(value, list):
        return " / ".join(map(str, value))  # example sentences: commas would run them together
    if isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict):
                items.append(str(item.get("name") or item.get("family") or ", ".join(map(str, item.values()))))
            elif path.endswith(".required"):
                items.append(str(REQUIRED_ELEMENT_LABELS.get(item, item)))
            else:
                items.append(str(item))
        return "、".join(items) if path.endswith(".values") else ", ".join(items)
    return str(value)


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
    flat_changes: list[Change] = []
    for list_path, key in ITEM_LISTS.items():
        old, new = flat_before.get(list_path), flat_after.get(list_path)
        if _keyed_items(old, key) is not None and _keyed_items(new, key) is not None:
            flat_before.pop(list_path, None)
            flat_after.pop(list_path, None)
            flat_changes += _item_changes(list_path, key, _keyed_items(old, key), _keyed_items(new, key))
    for path in sorted(set(flat_before) | set(flat_after)):
        if path not in flat_before:
            flat_changes.append(Change(path, "added", None, flat_after[path]))
        elif path not in flat_after:
            flat_changes.append(Change(path, "removed", flat_before[path], None))
        elif flat_before[path] != flat_after[path]:
            flat_changes.append(Change(path, "changed", flat_before[path], flat_after[path]))
    return changes + sorted(flat_changes, key=lambda change: change.list_path)  # stable: entries stay together


def _keyed_items(value, key: str) -> dict | None:
    """A list of objects as {key value: object}, in order; None when it is not such a list."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    items = {str(item.get(key, "")): item for item in value}
    return items if len(items) == len(value) else None


def _item_changes(path: str, key: str, old: dict, new: dict) -> list[Change]:
    """Entry by entry: added and removed entries whole, changed ones field by field."""
    changes = []
    for name, item in new.items():
        if name not in old:
            changes.append(Change(path, "added", None, item, item=name))
            continue
        before = old[name]
        for field_name in [k for k in before if k != key] + [k for k in item if k != key and k not in before]:
            if before.get(field_name) != item.get(field_name):
                kind = "added" if field_name not in before else "removed" if field_name not in item else "changed"
                changes.append(Change(f"{path}.{field_name}", kind, before.get(field_name), item.get(field_name),
                                      item=name))
    changes += [Change(path, "removed", item, None, item=name) for name, item in old.items() if name not in new]
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


def consistency_scores(days: int = 30, *, kit=None) -> dict[str, dict]:
    """Per channel of ``kit`` (default: the default brand's active kit): the checks of copy
    saved or sent (recorded ``LintCheck`` rows of the kit's versions) in the last ``days``, and
    the share with no errors (0-100; None without checks). Other brands' checks never count."""
    from .models import Channel, LintCheck

    if kit is None:
        kit = kit_default()
    by_channel = {}
    if kit is not None:
        since = timezone.now() - timedelta(days=days)
        rows = (LintCheck.objects.filter(created_at__gte=since, version__kit=kit).values("channel")
                .annotate(total=Count("id"), clean=Count("id", filter=Q(errors=0))))
        by_channel = {row["channel"]: row for row in rows}
    scores = {}
    for code, label in Channel.choices:
        row = by_channel.get(code)
        total = row["total"] if row else 0
        scores[code] = {"label": label, "total": total,
                        "score": round(100 * row["clean"] / total) if total else None}
    return scores


def channel_guide(version) -> list[dict]:
    """Per channel, what the guide shows: the tone adjustment, the limits (the kit-wide ``*``
    rules merged in), required elements and the channel's templates."""
    from .models import REQUIRED_ELEMENT_LABELS, TEMPLATE_LABELS, Channel
    from .services import CHANNEL_TEMPLATE_FIELDS

    rules_all = version.channel_rules or {}
    tone = (version.tone or {}).get("channels") or {}
    templates = version.channel_templates or {}
    out = []
    for code, label in Channel.choices:
        rules = {**(rules_all.get("*") or {}), **(rules_all.get(code) or {})}
        out.append({
            "code": code, "label": label, "tone": tone.get(code, ""),
            "max_length": rules.get("max_length"), "exclamation_max": rules.get("exclamation_max"),
            "emoji": rules.get("emoji", True) is not False, "required": [REQUIRED_ELEMENT_LABELS.get(item, item) for item in rules.get("required") or []],
            "templates": [(TEMPLATE_LABELS.get(name, name), (templates.get(code) or {}).get(name, ""))
                          for name in CHANNEL_TEMPLATE_FIELDS.get(code, {})
                          if (templates.get(code) or {}).get(name)],
        })
    return out


def logo_renditions(version) -> list[dict]:
    """The primary logo's stored variants (full, mono, reversed, favicons) with their URLs and names."""
    from django.core.files.storage import default_storage
    from django.utils.translation import gettext as _

    from .models import LogoVariant

    logo = next((logo for logo in version.logos.all() if logo.is_primary), None)
    if logo is None:
        return []
    names = dict(LogoVariant.choices)

    def label(key: str) -> str:
        if key.startswith("favicon-") and key[8:].isdigit():
            return _("Favicon %(n)s px") % {"n": key[8:]}
        return str(names.get(key, key))

    return [{"key": key, "label": label(key), "url": default_storage.url(path), "dark": key == "reversed"}
            for key, path in (logo.variants or {}).items()]


def notation_rules(version) -> list[str]:
    """The notation rules the kit turns on, as sentences for the guide."""
    from django.utils.translation import gettext as _

    notation = version.notation or {}
    sentences = {
        "fullwidth_alnum": _("Digits and Latin letters are half-width (１２３ → 123, ＡＢＣ → ABC)."),
        "halfwidth_katakana": _("Katakana is full-width (ｻｲｽﾞ → サイズ)."),
        "long_vowel": _("Long vowels in katakana use the mark ー, not a hyphen or dash (コンピュ-タ → コンピューター)."),
    }
    return [text for key, text in sentences.items() if notation.get(key, True)]
