"""Reads for the brand kit's pages (console, the shared guide, the API): kits and brands, a
version with its rows, the history with what changed, consistency scores, the guide's sections.

The theme every page renders with is in ``theme``; the diff engine the history uses in ``diff``.
"""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.audit import audit_action_label
from kernel.models import AuditEntry

from .diff import diff, path_label, snapshot
from .models import (
    REQUIRED_ELEMENT_LABELS,
    TEMPLATE_LABELS,
    Brand,
    BrandKit,
    BrandKitVersion,
    Channel,
    LintCheck,
    LogoVariant,
    VersionStatus,
)
from .sections import CHANNEL_TEMPLATE_FIELDS
from .theme import SAFE_SIZE


def kits():
    return BrandKit.objects.select_related("brand", "published_version").order_by("-brand__is_default", "brand__name")


def kit_default():
    return kits().filter(is_active=True).first()


def brand_kits():
    """Every brand's active kit (default brand first), for the console's brand switcher."""
    return list(kits().filter(is_active=True))


def guide_rules(version) -> list:
    """The version's editorial rules for the guide, each with a short name of its kind."""
    short = {"banned": _("Banned"), "preferred": _("Preferred"), "spelling": _("Product name"),
             "pattern": _("Pattern")}
    rules = list(version.rules.all())
    for rule in rules:
        rule.short_kind = short.get(rule.kind, rule.kind)
    return rules


def brand_count() -> int:
    return Brand.objects.count()


def type_scale(version) -> list[dict]:
    """The kit's type scale, in order, with a CSS-safe class per step (the guide sets each sample)."""
    scale = (version.typography or {}).get("scale") or {}
    path = "typography.scale."
    return [{"name": name, "label": path_label(path + name).rsplit(" › ", 1)[-1], "size": size}
            for name, size in scale.items() if str(name).isidentifier() and set(str(size)) <= SAFE_SIZE]


def version_detail(version_id: int):
    return (BrandKitVersion.objects.select_related("kit__brand", "published_by", "created_by")
            .prefetch_related("palette", "rules", "logos").get(pk=version_id))


def kit_history(kit):
    return list(kit.versions.filter(status=VersionStatus.PUBLISHED).select_related("published_by")
                .prefetch_related("palette", "rules", "logos").order_by("-number"))



def kit_changes(kit, *, limit: int = 20) -> list[AuditEntry]:
    """The latest audit entries of ``kit``, its versions and its brand, newest first, each with
    ``label`` (what the write did) and ``version_number`` (or None): two queries."""
    numbers = dict(kit.versions.values_list("pk", "number"))
    version_type = BrandKitVersion._meta.label_lower
    about = (Q(object_type=Brand._meta.label_lower, object_id=str(kit.brand_id))
             | Q(object_type=BrandKit._meta.label_lower, object_id=str(kit.pk))
             | Q(object_type=version_type, object_id__in=[str(pk) for pk in numbers]))
    entries = list(AuditEntry.objects.filter(about).select_related("actor").order_by("-created_at", "-id")[:limit])
    for entry in entries:
        entry.label = audit_action_label(entry.action)  # KitAction, declared on the AppConfig
        entry.version_number = numbers.get(int(entry.object_id)) if entry.object_type == version_type else None
    return entries


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
    notation = version.notation or {}
    sentences = {
        "fullwidth_alnum": _("Digits and Latin letters are half-width (１２３ → 123, ＡＢＣ → ABC)."),
        "halfwidth_katakana": _("Katakana is full-width (ｻｲｽﾞ → サイズ)."),
        "long_vowel": _("Long vowels in katakana use the mark ー, not a hyphen or dash (コンピュ-タ → コンピューター)."),
    }
    return [text for key, text in sentences.items() if notation.get(key, True)]
