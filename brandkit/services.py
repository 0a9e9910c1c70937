"""Every write to the brand kit, and the content linter entry points ``lint`` and ``lint_for_send``.

Drafts are edited, then published: ``version_publish`` makes a draft the kit's active
version, keeps it in the history and invalidates the cached theme and compiled rules, so
every page restyles without a deploy.

Brands: more than one brand may exist, each with one active kit. The theme (console,
storefront, emails) renders with the **default brand**'s active kit: the brand with
``is_default`` (at most one, a database constraint). ``brand_create(..., is_default=True)``
or ``brand_set_default`` makes a brand the default (HQ: Brand kit → Brands → "Make default").

Linting before sending (the hook for campaigns)
-----------------------------------------------
Campaigns (and anything else that sends copy to customers: journeys, SMS, social posts)
call, just before they send::

    ok, violations = brandkit.services.lint_for_send(text, channel, locale, source="campaign")
    if not ok:
        ...  # refuse to send; show ``violations`` (each has start/end, rule, severity, message, suggestion)

``ok`` is False when any violation has severity ``error`` (banned terms with error severity,
a missing unsubscribe link or legal footer, a length overrun, ...); warnings and info never
block. Every call is recorded (``source``) and feeds the channel's consistency score on the
kit's dashboard. ``channel`` is one of ``models.Channel`` (email, sms, social, pop, postcard,
web); an unknown channel raises ``ValidationError``.

What the consistency score counts: only copy that is really saved or sent (``lint_for_send``,
``lint(..., record=source)`` from a product save, the API's lint with ``record`` save/send by
staff). Ad-hoc checks (check-my-copy, live checks while typing, the API's plain lint) are not
recorded, so nobody can move a kit's score by linting made-up copy; scores are per kit
(``selectors.consistency_scores(kit=...)``).

Structural validation: every JSON section is checked for its shape (known keys, types,
bounded lengths) before anything is written, with errors keyed by field path
(``tone.attributes.0.do``), and a version whose channels require the legal footer cannot be
saved or published without ``identity.legal_footer``.
"""

import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import linting, selectors
from .colour import normalise_hex
from .models import (
    Brand,
    BrandKit,
    BrandKitVersion,
    Channel,
    ColourRole,
    EditorialRule,
    LintCheck,
    Logo,
    PaletteColour,
    RuleKind,
    Severity,
    VersionStatus,
)

# The template text each channel keeps (``channel_templates[channel][field]``) and its length limit.
CHANNEL_TEMPLATE_FIELDS: dict[str, dict[str, int]] = {
    Channel.EMAIL: {"layout": 1000, "header": 300, "footer": 600},
    Channel.SMS: {"signature": 30},
    Channel.SOCIAL: {"card": 1000},
    Channel.POP: {"sign": 1000},
    Channel.POSTCARD: {"layout": 1000},
}
TONE_CHANNEL_MAX = 500
# Font family names: a small character set, so a family can never break out of the CSS it is written into.
FONT_FAMILY = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,59}")
# The type scale the console edits (the API may add other named steps, e.g. "caption").
TYPE_SCALE_STEPS = ("h1", "h2", "h3", "body", "small")
TYPE_SIZE = re.compile(r"(?P<n>[0-9]{1,3}(?:\.[0-9]{1,3})?)(?P<unit>rem|em|px|pt)")
TYPE_SIZE_RANGE = {"rem": (0.5, 8), "em": (0.5, 8), "px": (8, 128), "pt": (6, 96)}
REQUIRED_ELEMENTS = ("unsubscribe", "legal_footer")
# The shapes of the JSON sections (see the model): known keys and length limits, as the console writes them.
IDENTITY_TEXT = {"brand_name": 100, "brand_name_en": 100, "tagline": 200, "mission": 1000, "vision": 1000,
                 "story": 5000, "legal_name": 200, "legal_footer": 300}
IDENTITY_VALUES_MAX = 12
IDENTITY_VALUE_LENGTH = 40
TONE_ATTRIBUTES_MAX = 20
TONE_ATTRIBUTE_NAME_MAX = 60
TONE_TEXT_MAX = 1000  # a description or one do/don't example (the console's line limit)
TONE_EXAMPLES_MAX = 20
CHANNEL_RULE_LIMITS = {"max_length": 100_000, "exclamation_max": 100}
NOTATION_KEYS = ("fullwidth_alnum", "halfwidth_katakana", "long_vowel")
TYPOGRAPHY_ROLE_KEYS = ("family", "fallbacks", "weight")
UGC_MAX = 5000
NOTE_MAX = 200

JSON_SECTIONS = ("identity", "tone", "typography", "logo_rules", "channel_templates", "channel_rules", "notation")


@dataclass(frozen=True)
class RuleIn:
    kind: str
    pattern: str
    replacement: str = ""
    message: str = ""
    severity: str = Severity.WARNING
    channels: tuple[str, ...] = ()


# --- brands and kits ------------------------------------------------------------------------

@transaction.atomic
def brand_create(*, name: str, slug: str = "", is_default: bool = False) -> Brand:
    brand = Brand(name=name, slug=slug or slugify(name, allow_unicode=False) or "brand", is_default=is_default)
    brand.full_clean(validate_constraints=False)  # the one-default constraint is kept just below
    if is_default:
        Brand.objects.filter(is_default=True).update(is_default=False)
        transaction.on_commit(selectors.invalidate)
    brand.save()
    return brand


@transaction.atomic
def brand_set_default(*, brand: Brand) -> Brand:
    """Make ``brand`` the default: the console, storefront and emails render with its active kit."""
    Brand.objects.filter(is_default=True).exclude(pk=brand.pk).update(is_default=False)
    if not brand.is_default:
        brand.is_default = True
        brand.save(update_fields=["is_default"])
    transaction.on_commit(selectors.invalidate)
    selectors.invalidate()
    return brand


@transaction.atomic
def brand_start(*, name: str, slug: str = "", is_default: bool = False, acting_user=None) -> BrandKit:
    """A new brand with an active kit whose draft v1 starts from the brand name and a neutral
    palette (every role filled, so the draft can be edited and published at once)."""
    brand = brand_create(name=name, slug=slug, is_default=is_default)
    kit = kit_create(brand=brand, name=_("Brand guidelines"), acting_user=acting_user)
    draft = kit.versions.get(status=VersionStatus.DRAFT)
    draft_update(version=draft, identity={"brand_name": name},
                 typography={key: dict(value) if isinstance(value, dict) else value
                             for key, value in DEFAULT_TYPOGRAPHY.items()})
    palette_set(version=draft, colours=dict(selectors.DEFAULT_COLOURS))
    return kit


@transaction.atomic
def kit_create(*, brand: Brand, name: str, acting_user=None) -> BrandKit:
    """A new active kit for ``brand`` (any previous active kit is retired) with an empty draft."""
    BrandKit.objects.filter(brand=brand, is_active=True).update(is_active=False)
    kit = BrandKit.objects.create(brand=brand, name=name, is_active=True)
    BrandKitVersion.objects.create(kit=kit, number=1, created_by=acting_user)
    selectors.invalidate()
    return kit


# --- drafts -------------------------------------------------------------------------------

@transaction.atomic
def draft_get_or_create(*, kit: BrandKit, acting_user=None) -> BrandKitVersion:
    """The kit's draft; a new one copies the published version (content, palette, rules, logos)."""
    kit = BrandKit.objects.select_for_update().get(pk=kit.pk)
    draft = kit.versions.filter(status=VersionStatus.DRAFT).first()
    if draft:
        return draft
    source = kit.published_version or kit.versions.order_by("-number").first()
    number = (kit.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = BrandKitVersion.objects.create(kit=kit, number=number, created_by=acting_user)
    if source:
        for section in JSON_SECTIONS:
            setattr(draft, section, getattr(source, section))
        draft.ugc_guidelines = source.ugc_guidelines
        draft.save()
        PaletteColour.objects.bulk_create(
            PaletteColour(version=draft, role=c.role, name=c.name, hex=c.hex) for c in source.palette.all()
        )
        EditorialRule.objects.bulk_create(
            EditorialRule(version=draft, kind=r.kind, pattern=r.pattern, replacement=r.replacement,
                          message=r.message, severity=r.severity, channels=r.channels)
            for r in source.rules.all()
        )
        Logo.objects.bulk_create(
            Logo(version=draft, name=logo.name, original=logo.original.name, variants=logo.variants,
                 width=logo.width, height=logo.height, is_primary=logo.is_primary)
            for logo in source.logos.all()
        )
    return draft


def _require_draft(version: BrandKitVersion) -> None:
    if not version.is_draft:
        raise ValidationError(_("Only a draft can be edited; published versions are kept as they are."),
                              code="not_draft")


def _validate_sections(values: dict) -> dict:
    """Field-path errors for the sections in ``values`` (each replaces the whole section):
    the shape of every section, the known keys and bounded lengths, as the console writes them."""
    errors: dict[str, str] = {}
    for section in JSON_SECTIONS:
        if values.get(section) is not None and not isinstance(values[section], dict):
            errors[section] = _("Must be an object.")
    if isinstance(values.get("identity"), dict):
        errors.update(_validate_identity(values["identity"]))
    if isinstance(values.get("channel_rules"), dict):
        errors.update(_validate_channel_rules(values["channel_rules"]))
    if isinstance(values.get("tone"), dict):
        errors.update(_unknown_keys(values["tone"], ("attributes", "channels"), "tone"))
        errors.update(_validate_tone_attributes(values["tone"].get("attributes")))
        errors.update(_validate_tone_channels(values["tone"].get("channels")))
    if isinstance(values.get("channel_templates"), dict):
        errors.update(_validate_templates(values["channel_templates"]))
    if isinstance(values.get("logo_rules"), dict):
        errors.update(_validate_logo_rules(values["logo_rules"]))
    if isinstance(values.get("typography"), dict):
        errors.update(_validate_typography(values["typography"]))
    if isinstance(values.get("notation"), dict):
        notation = values["notation"]
        errors.update(_unknown_keys(notation, NOTATION_KEYS, "notation"))
        for key in NOTATION_KEYS:
            if key in notation and not isinstance(notation[key], bool):
                errors[f"notation.{key}"] = _("Say yes or no (true or false).")
    for key, limit in (("ugc_guidelines", UGC_MAX), ("note", NOTE_MAX)):
        if values.get(key) is not None:
            if not isinstance(values[key], str):
                errors[key] = _("Write it as text.")
            elif len(values[key]) > limit:
                errors[key] = _("At most %(n)d characters.") % {"n": limit}
    return errors


def _unknown_keys(value: dict, known, prefix: str) -> dict:
    return {f"{prefix}.{key}": _("Unknown field.") for key in value if key not in known}


def _text_error(value, limit: int, *, required: bool = False) -> str:
    """'' when ``value`` is text of at most ``limit`` characters (and not blank when required)."""
    if not isinstance(value, str):
        return _("Write it as text.")
    if required and not value.strip():
        return _("This field is required.")
    if len(value) > limit:
        return _("At most %(n)d characters.") % {"n": limit}
    return ""


def _text_list_errors(items, path: str, *, max_items: int, max_length: int) -> dict:
    if not isinstance(items, list):
        return {path: _("Must be a list of texts.")}
    if len(items) > max_items:
        return {path: _("At most %(n)d items.") % {"n": max_items}}
    errors = {}
    for index, item in enumerate(items):
        if problem := _text_error(item, max_length, required=True):
            errors[f"{path}.{index}"] = problem
    return errors


def _validate_identity(identity: dict) -> dict:
    errors = _unknown_keys(identity, (*IDENTITY_TEXT, "values"), "identity")
    for key, limit in IDENTITY_TEXT.items():
        if key in identity and (problem := _text_error(identity[key], limit)):
            errors[f"identity.{key}"] = problem
    if "identity.brand_name" not in errors and not str(identity.get("brand_name", "")).strip():
        errors["identity.brand_name"] = _("The brand name is required.")
    if "values" in identity:
        errors.update(_text_list_errors(identity["values"], "identity.values", max_items=IDENTITY_VALUES_MAX,
                                        max_length=IDENTITY_VALUE_LENGTH))
    return errors


def _validate_channel_rules(channel_rules: dict) -> dict:
    errors = {}
    for channel, rules in channel_rules.items():
        path = f"channel_rules.{channel}"
        if channel != "*" and channel not in Channel.values:
            errors[path] = _("Unknown channel.")
            continue
        if rules is None:
            continue
        if not isinstance(rules, dict):
            errors[path] = _("Must be an object.")
            continue
        errors.update(_unknown_keys(rules, CHANNEL_RULE_LIMITS.keys() | {"emoji", "required"}, path))
        for key, high in CHANNEL_RULE_LIMITS.items():
            value = rules.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or not 0 <= value <= high):
                errors[f"{path}.{key}"] = _("Enter a whole number from 0 to %(max)d.") % {"max": high}
        if "emoji" in rules and not isinstance(rules["emoji"], bool):
            errors[f"{path}.emoji"] = _("Say yes or no (true or false).")
        required = rules.get("required")
        if required is None:
            continue
        if not isinstance(required, list):
            errors[f"{path}.required"] = _("Must be a list of texts.")
            continue
        unknown = [item for item in required if item not in REQUIRED_ELEMENTS]
        if unknown:
            errors[f"{path}.required"] = _("Unknown required element: %(names)s") % {
                "names": ", ".join(map(str, unknown))}
    return errors


def _validate_tone_attributes(attributes) -> dict:
    if attributes is None:
        return {}
    if not isinstance(attributes, list):
        return {"tone.attributes": _("Must be a list of attributes.")}
    if len(attributes) > TONE_ATTRIBUTES_MAX:
        return {"tone.attributes": _("At most %(n)d items.") % {"n": TONE_ATTRIBUTES_MAX}}
    errors = {}
    for index, attribute in enumerate(attributes):
        path = f"tone.attributes.{index}"
        if not isinstance(attribute, dict):
            errors[path] = _("Must be an object.")
            continue
        errors.update(_unknown_keys(attribute, ("name", "description", "do", "dont"), path))
        if problem := _text_error(attribute.get("name"), TONE_ATTRIBUTE_NAME_MAX, required=True):
            errors[f"{path}.name"] = problem
        if "description" in attribute and (problem := _text_error(attribute["description"], TONE_TEXT_MAX)):
            errors[f"{path}.description"] = problem
        for key in ("do", "dont"):
            errors.update(_text_list_errors(attribute.get(key, []), f"{path}.{key}", max_items=TONE_EXAMPLES_MAX,
                                            max_length=TONE_TEXT_MAX))
    return errors


def channels_requiring_legal_footer(channel_rules) -> list[str]:
    """The channels whose copy must carry the legal footer ("*" means every channel)."""
    if not isinstance(channel_rules, dict):
        return []
    return [channel for channel, rules in channel_rules.items()
            if isinstance(rules, dict) and "legal_footer" in (rules.get("required") or ())]


def _legal_footer_errors(*, identity, channel_rules) -> dict:
    """A channel that requires the legal footer needs its text: without it the check could
    never pass (see ``linting.CompiledKit._lint_channel``)."""
    channels = channels_requiring_legal_footer(channel_rules)
    footer = (identity or {}).get("legal_footer", "") if isinstance(identity, dict) else ""
    if not channels or (isinstance(footer, str) and footer.strip()):
        return {}
    labels = dict(Channel.choices)
    names = ", ".join(str(labels.get(channel, _("All channels") if channel == "*" else channel))
                      for channel in channels)
    return {"identity.legal_footer": _("Enter the legal footer: these channels require it: %(channels)s.") % {
        "channels": names}}


def type_size_error(value) -> str:
    """'' when ``value`` is a CSS size the type scale accepts (``1.5rem``, ``18px``), else why not."""
    match = TYPE_SIZE.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        return _("Enter a size such as 1.25rem, 1em, 18px or 12pt.")
    low, high = TYPE_SIZE_RANGE[match["unit"]]
    if not low <= float(match["n"]) <= high:
        return _("Use a size between %(low)s and %(high)s %(unit)s.") % {
            "low": f"{low:g}", "high": f"{high:g}", "unit": match["unit"]}
    return ""


def _validate_typography(typography: dict) -> dict:
    errors = _unknown_keys(typography, ("heading", "body", "scale"), "typography")
    for role in ("heading", "body"):
        spec = typography.get(role)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            errors[f"typography.{role}"] = _("Must be an object.")
            continue
        errors.update(_unknown_keys(spec, TYPOGRAPHY_ROLE_KEYS, f"typography.{role}"))
        weight = spec.get("weight")
        if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool)
                                   or weight not in range(100, 1000, 100)):
            errors[f"typography.{role}.weight"] = _("Enter a weight of 100, 200, ... 900.")
        family = spec.get("family")
        if family not in (None, "") and (not isinstance(family, str) or not FONT_FAMILY.fullmatch(family)):
            errors[f"typography.{role}.family"] = _("Use letters, digits, spaces and hyphens only.")
        fallbacks = spec.get("fallbacks")
        if fallbacks is not None and (not isinstance(fallbacks, list) or len(fallbacks) > 12 or any(
                not isinstance(name, str) or not FONT_FAMILY.fullmatch(name) for name in fallbacks)):
            errors[f"typography.{role}.fallbacks"] = _("Use letters, digits, spaces and hyphens only.")
    scale = typography.get("scale")
    if scale is not None:
        if not isinstance(scale, dict) or len(scale) > 12:
            errors["typography.scale"] = _("Must be an object of at most 12 named sizes.")
        else:
            for name, value in scale.items():
                if not str(name).isidentifier() or len(str(name)) > 20:
                    errors[f"typography.scale.{name}"] = _("Name a step with letters and digits (h1, body, ...).")
                elif problem := type_size_error(value):
                    errors[f"typography.scale.{name}"] = problem
    return errors


def _validate_tone_channels(channels) -> dict:
    if channels is None:
        return {}
    if not isinstance(channels, dict):
        return {"tone.channels": _("Must be an object.")}
    errors = {}
    for channel, text in channels.items():
        if channel not in Channel.values:
            errors[f"tone.channels.{channel}"] = _("Unknown channel.")
        elif not isinstance(text, str):
            errors[f"tone.channels.{channel}"] = _("Write the adjustment as text.")
        elif len(text) > TONE_CHANNEL_MAX:
            errors[f"tone.channels.{channel}"] = _("At most %(n)d characters.") % {"n": TONE_CHANNEL_MAX}
    return errors


def _validate_templates(templates: dict) -> dict:
    errors = {}
    for channel, fields in templates.items():
        allowed = CHANNEL_TEMPLATE_FIELDS.get(channel)
        if allowed is None:
            errors[f"channel_templates.{channel}"] = _("Unknown channel.")
            continue
        if not isinstance(fields, dict):
            errors[f"channel_templates.{channel}"] = _("Must be an object.")
            continue
        for name, text in fields.items():
            path = f"channel_templates.{channel}.{name}"
            if name not in allowed:
                errors[path] = _("Unknown template field.")
            elif not isinstance(text, str):
                errors[path] = _("Write the template as text.")
            elif len(text) > allowed[name]:
                errors[path] = _("At most %(n)d characters.") % {"n": allowed[name]}
            elif "\n" in text and name == "signature":
                errors[path] = _("The SMS signature must fit on one line.")
    return errors


def _validate_logo_rules(rules: dict) -> dict:
    errors = _unknown_keys(rules, ("min_size_px", "clear_space"), "logo_rules")
    size = rules.get("min_size_px")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= 2000):
        errors["logo_rules.min_size_px"] = _("Enter a size between 8 and 2000 pixels.")
    clear = rules.get("clear_space")
    if clear is not None and (not isinstance(clear, str) or len(clear) > 300):
        errors["logo_rules.clear_space"] = _("At most %(n)d characters.") % {"n": 300}
    return errors


@transaction.atomic
def draft_update(*, version: BrandKitVersion, acting_user=None, **values) -> BrandKitVersion:
    """Replace whole sections of a draft (identity, tone, ...); all validated before any write."""
    _require_draft(version)
    unknown = set(values) - set(JSON_SECTIONS) - {"ugc_guidelines", "note"}
    if unknown:
        raise ValidationError({key: _("Unknown section.") for key in sorted(unknown)})
    errors = _validate_sections(values)
    if not errors:
        errors = _legal_footer_errors(
            identity=values["identity"] if values.get("identity") is not None else version.identity,
            channel_rules=values["channel_rules"] if values.get("channel_rules") is not None else version.channel_rules)
    if errors:
        raise ValidationError(errors)
    for key, value in values.items():
        if value is not None:
            setattr(version, key, value)
    version.save()
    return version


@transaction.atomic
def palette_set(*, version: BrandKitVersion, colours: list[tuple[str, str]] | dict[str, str],
                names: dict[str, str] | None = None) -> list[PaletteColour]:
    """Replace the draft's palette. Hex values are normalised; bad hex or a repeated role -> errors."""
    _require_draft(version)
    items = list(colours.items()) if isinstance(colours, dict) else list(colours)
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    rows = []
    for role, value in items:
        if role not in ColourRole.values:
            errors.setdefault(role, []).append(_("Unknown colour role."))
            continue
        if role in seen:
            errors.setdefault(role, []).append(_("Each role may appear only once."))
            continue
        seen.add(role)
        try:
            rows.append(PaletteColour(version=version, role=role, hex=normalise_hex(value),
                                      name=(names or {}).get(role, "")))
        except ValidationError as error:
            errors.setdefault(role, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    version.palette.all().delete()
    created = PaletteColour.objects.bulk_create(rows)
    version.save(update_fields=["updated_at"])
    return created


def rule_validate(rule: RuleIn) -> dict[str, str]:
    errors = {}
    if rule.kind not in RuleKind.values:
        errors["kind"] = _("Unknown rule kind.")
    if rule.severity not in Severity.values:
        errors["severity"] = _("Unknown severity.")
    if not rule.pattern.strip():
        errors["pattern"] = _("Enter a term or pattern.")
    elif rule.kind == RuleKind.PATTERN:
        try:
            linting.check_user_pattern(rule.pattern)
        except ValidationError as error:
            errors["pattern"] = " ".join(error.messages)
    elif len(rule.pattern) > 200:
        errors["pattern"] = _("Terms are limited to 200 characters.")
    if rule.kind in (RuleKind.PREFERRED, RuleKind.SPELLING) and not rule.replacement.strip():
        errors["replacement"] = _("Say what to write instead.")
    bad = [c for c in rule.channels if c not in Channel.values]
    if bad:
        errors["channels"] = _("Unknown channel: %(names)s") % {"names": ", ".join(bad)}
    return errors


@transaction.atomic
def rules_set(*, version: BrandKitVersion, rules: list[RuleIn]) -> list[EditorialRule]:
    """Replace the draft's editorial rules; any bad rule -> errors keyed ``rules.<i>.<field>``."""
    _require_draft(version)
    errors = {}
    for index, rule in enumerate(rules):
        for key, message in rule_validate(rule).items():
            errors[f"rules.{index}.{key}"] = message
    if errors:
        raise ValidationError(errors)
    version.rules.all().delete()
    created = EditorialRule.objects.bulk_create(
        EditorialRule(version=version, kind=r.kind, pattern=r.pattern.strip(), replacement=r.replacement.strip(),
                      message=r.message, severity=r.severity, channels=list(r.channels))
        for r in rules
    )
    version.save(update_fields=["updated_at"])
    return created


@transaction.atomic
def draft_save(*, version: BrandKitVersion, acting_user=None, palette: dict[str, str] | None = None,
               rules: list[RuleIn] | None = None, **sections) -> BrandKitVersion:
    """Sections, palette and rules of a draft in one transaction: all saved, or nothing."""
    draft_update(version=version, acting_user=acting_user, **sections)
    if palette is not None:
        palette_set(version=version, colours=palette)
    if rules is not None:
        rules_set(version=version, rules=rules)
    return version


@transaction.atomic
def rule_add(*, version: BrandKitVersion, rule: RuleIn) -> EditorialRule:
    _require_draft(version)
    errors = rule_validate(rule)
    if errors:
        raise ValidationError(errors)
    created = EditorialRule.objects.create(
        version=version, kind=rule.kind, pattern=rule.pattern.strip(), replacement=rule.replacement.strip(),
        message=rule.message, severity=rule.severity, channels=list(rule.channels),
    )
    version.save(update_fields=["updated_at"])
    return created


@transaction.atomic
def rule_delete(*, version: BrandKitVersion, rule_id: int) -> None:
    _require_draft(version)
    version.rules.filter(pk=rule_id).delete()
    version.save(update_fields=["updated_at"])


@transaction.atomic
def version_publish(*, version: BrandKitVersion, acting_user=None, note: str = "") -> BrandKitVersion:
    """Publish a draft: it becomes the kit's active version; the previous one stays in the history."""
    version = BrandKitVersion.objects.select_for_update().select_related("kit").get(pk=version.pk)
    _require_draft(version)
    missing = sorted(set(ColourRole.values) - set(version.palette.values_list("role", flat=True)))
    errors = {}
    if missing:
        errors["palette"] = _("Every colour role needs a colour; missing: %(roles)s") % {"roles": ", ".join(missing)}
    if not str((version.identity or {}).get("brand_name", "")).strip():
        errors["identity.brand_name"] = _("The brand name is required.")
    errors.update(_legal_footer_errors(identity=version.identity, channel_rules=version.channel_rules))
    if errors:
        raise ValidationError(errors)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = acting_user
    if note:
        version.note = note
    version.save()
    kit = version.kit
    kit.published_version = version
    kit.save(update_fields=["published_version"])
    transaction.on_commit(selectors.invalidate)
    selectors.invalidate()
    return version


@transaction.atomic
def kit_share_token_rotate(*, kit: BrandKit) -> BrandKit:
    from .models import new_share_token

    kit.share_token = new_share_token()
    kit.save(update_fields=["share_token"])
    return kit


# --- the linter ---------------------------------------------------------------------------

_CHANNELS = frozenset(Channel.values)  # ``Channel.values`` builds a list on every access


def lint(text: str, channel: str, locale: str = "ja", *, version: BrandKitVersion | None = None,
         record: str = "") -> list[linting.Violation]:
    """Check copy against the active kit (or ``version``).

    ``record`` names the source when the copy is real content being saved or sent (``campaign``,
    ``send``, ``product-edit``, ``api-save``...): the result is then logged for the channel's
    consistency score. Ad-hoc checks (the check-my-copy page, live checks while typing, the
    API's lint without ``record``) pass nothing and leave the score alone."""
    if channel not in _CHANNELS:
        raise ValidationError({"channel": _("Unknown channel.")})
    compiled = selectors.compiled_kit(version)
    violations = compiled.lint(text, channel, locale or "ja")
    if record:
        _lint_check_record(version_id=version.pk if version else selectors.active_version_id(), channel=channel,
                           source=record, violations=violations)
    return violations


def _lint_check_record(*, version_id: int | None, channel: str, source: str,
                       violations: list[linting.Violation]) -> None:
    """Insert one ``LintCheck`` row with a prepared statement. Every product save and every send
    records one; through the ORM (``objects.create``) the row cost three times the lint itself,
    which kept the product-save path under 3,000 descriptions/s (bench/lint.py)."""
    from django.db import connections, router

    connection = connections[router.db_for_write(LintCheck)]
    sql = _LINT_CHECK_INSERT.get(connection.alias)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ("version_id", "channel", "source", "violations", "errors", "created_at")
        sql = _LINT_CHECK_INSERT[connection.alias] = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(LintCheck._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns)))
        # (identifiers from the model, quoted by the backend; every value is a parameter)
    errors = sum(v.severity == Severity.ERROR for v in violations)
    with connection.cursor() as cursor:
        cursor.execute(sql, [version_id, channel, source[:40], len(violations), errors,
                             connection.ops.adapt_datetimefield_value(timezone.now())])


_LINT_CHECK_INSERT: dict[str, str] = {}


def lint_for_send(text: str, channel: str, locale: str = "ja", *, source: str = "campaign",
                  version: BrandKitVersion | None = None) -> tuple[bool, list[linting.Violation]]:
    """The check to run just before copy goes out (campaigns, journeys, SMS): ``(ok, violations)``.

    ``ok`` is False when any violation is an error (error-severity rules, missing required
    elements, length overruns): the caller must not send. Warnings and info never block.
    The check is recorded under ``source`` for the channel's consistency score.
    """
    violations = lint(text, channel, locale, version=version, record=source or "send")
    return not blocking(violations), violations


def blocking(violations: list[linting.Violation]) -> list[linting.Violation]:
    """The violations that stop a send (severity ``error``)."""
    return [v for v in violations if v.severity == Severity.ERROR]


# --- logos --------------------------------------------------------------------------------

FAVICON_SIZES = (16, 32, 180, 512)


def logo_add(*, version: BrandKitVersion, upload, name: str = "") -> Logo:
    """Validate an uploaded raster logo and store it with its variants (full, mono, reversed, favicons).

    The original is stored as PNG, scaled down to fit ``assets.LOGO_MAX_SIDE`` (the renditions to
    ``assets.LOGO_RENDITION_SIDE``); a bad file raises ValidationError on ``logo``.

    The files are written before the rows, inside the transaction: if anything fails up to and
    including the commit, the files written so far are deleted, so no orphan stays in storage.
    (Called inside a caller's transaction that later rolls back, the files stay: Django has no
    rollback hook. The console and the API call it on its own.)"""
    written: list[str] = []
    try:
        with transaction.atomic():
            return _logo_write(version=version, upload=upload, name=name, written=written)
    except BaseException:
        _storage_delete(written)
        raise


def _logo_write(*, version: BrandKitVersion, upload, name: str, written: list[str]) -> Logo:
    from django.core.files.storage import default_storage

    from . import assets

    _require_draft(version)
    try:
        # Decoded once and scaled down to assets.LOGO_MAX_SIDE first: the work follows the outputs.
        image = assets.open_logo(upload)
    except ValidationError as error:
        raise ValidationError({"logo": error.error_list}) from error
    logo = Logo(version=version, name=name or getattr(upload, "name", "logo"), width=image.width, height=image.height)
    base = (getattr(upload, "name", "logo").rsplit(".", 1)[0] or "logo")[:40]
    original = io.BytesIO()
    image.save(original, format="PNG")  # optimize=True took 3-5x longer for a few % of bytes
    logo.original.save(f"{slugify(base) or 'logo'}.png", ContentFile(original.getvalue()), save=False)
    written.append(logo.original.name)
    variants = {}
    folder = logo.original.name.rsplit("/", 1)[0]
    for key, variant in assets.logo_variants(image, FAVICON_SIZES).items():
        buffer = io.BytesIO()
        variant.save(buffer, format="PNG")
        variants[key] = default_storage.save(f"{folder}/{key}.png", ContentFile(buffer.getvalue()))
        written.append(variants[key])
    logo.variants = variants
    version.logos.filter(is_primary=True).update(is_primary=False)
    logo.is_primary = True
    logo.save()
    version.save(update_fields=["updated_at"])
    return logo


def _storage_delete(names: list[str]) -> None:
    """Delete files this call wrote (best effort: a failure to delete must not hide the first error)."""
    import logging

    from django.core.files.storage import default_storage

    for file_name in names:
        try:
            default_storage.delete(file_name)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).warning("Could not delete orphan logo file %s", file_name, exc_info=True)


# --- the demo kit ---------------------------------------------------------------------------

DEFAULT_BRAND = {"name": "ミナト商店 / MINATO", "slug": "minato"}

DEFAULT_IDENTITY = {
    "brand_name": "ミナト商店",
    "brand_name_en": "MINATO",
    "tagline": "港町から、毎日の定番を。",
    "mission": "長く使える日用品と衣料を、店でもオンラインでも同じ心地よさで届ける。",
    "vision": "どの窓口でも「いつものミナト」に会える小売。",
    "values": ["誠実", "長持ち", "地域とともに"],
    "story": "横浜の港町で1987年に創業した小さな衣料店から始まり、今は全国の店舗とオンラインストアで"
             "暮らしの定番をお届けしています。",
    "legal_name": "株式会社ミナト商店",  # the seller on receipts (orders.selectors.invoice_seller_name)
    "legal_footer": "株式会社ミナト商店 〒231-0001 神奈川県横浜市中区新港1-1",
}

DEFAULT_TONE = {
    "attributes": [
        {"name": "親しみやすい（でも軽すぎない）", "description": "隣で話しかけるように、丁寧語で。",
         "do": ["今週は麻のシャツが入荷しました。"], "dont": ["マジ神アイテム入荷ｷﾀ━！！"]},
        {"name": "誠実", "description": "誇張せず、事実と根拠を書く。",
         "do": ["洗濯機で洗えます（ネット使用）。"], "dont": ["絶対に縮まない最強素材！"]},
        {"name": "簡潔", "description": "一文は短く、要点から。",
         "do": ["本日20時まで送料無料。"], "dont": ["さて、皆さまに本日はとっておきのお知らせがございまして…"]},
    ],
    "channels": {
        "sms": "さらに短く、絵文字なし。署名を必ず入れる。",
        "social": "少しくだけた口調も可。絵文字は1つまで。",
        "email": "件名は30字以内。配信停止リンクと会社情報を必ず入れる。",
        "pop": "遠くから読める短い見出しと価格。",
    },
}

DEFAULT_TYPOGRAPHY = {
    "heading": {"family": "Noto Sans JP", "weight": 700,
                "fallbacks": ["Hiragino Kaku Gothic ProN", "Yu Gothic", "system-ui", "sans-serif"]},
    "body": {"family": "Noto Sans JP", "weight": 400,
             "fallbacks": ["Hiragino Kaku Gothic ProN", "Yu Gothic", "system-ui", "sans-serif"]},
    "scale": {"h1": "2.25rem", "h2": "1.75rem", "h3": "1.375rem", "body": "1rem", "small": "0.875rem"},
}

DEFAULT_PALETTE = {
    "primary": "#1F4E79", "secondary": "#5B6B7A", "accent": "#C8553D", "background": "#FAFAF7",
    "surface": "#FFFFFF", "text": "#1D232A", "success": "#2E7D32", "warning": "#8A5A00", "danger": "#B3261E",
}
PALETTE_NAMES = {"primary": "港の藍", "accent": "煉瓦", "background": "生成り", "text": "墨"}

DEFAULT_CHANNEL_RULES = {
    "*": {"exclamation_max": 1},
    "web": {"max_length": 1000, "emoji": False},
    "email": {"max_length": 5000, "required": ["unsubscribe", "legal_footer"], "exclamation_max": 1},
    "sms": {"max_length": 70, "emoji": False, "exclamation_max": 0},
    "social": {"max_length": 280, "exclamation_max": 2},
    "pop": {"max_length": 40, "emoji": False, "exclamation_max": 0},
    "postcard": {"max_length": 300, "required": ["legal_footer"]},
}

DEFAULT_TEMPLATES = {
    "email": {"layout": "ロゴ → 見出し → 本文 → ボタン（プライマリ）→ 配信停止リンク → 会社情報",
              "footer": "このメールは送信専用です。お問い合わせは各店舗またはウェブサイトまでお寄せください。"},
    "sms": {"signature": "【ミナト商店】"},
    "social": {"card": "商品写真を左、見出しと価格を右。ロゴは右下。"},
    "pop": {"sign": "A4縦。見出し24字以内、税込価格を大きく。"},
    "postcard": {"layout": "はがき横。表面に季節の写真、裏面に宛名と会社情報。"},
}

DEFAULT_RULES = [
    RuleIn(RuleKind.BANNED, "激安", message="「激安」は使わない（価格訴求はお得・特価で）。", severity=Severity.ERROR),
    RuleIn(RuleKind.BANNED, "最強", message="誇張表現は使わない。", severity=Severity.ERROR),
    RuleIn(RuleKind.BANNED, "絶対", message="断定的な表現は避ける。", severity=Severity.WARNING),
    RuleIn(RuleKind.BANNED, "日本一", message="根拠のない最上級表現は景品表示法のリスク。", severity=Severity.ERROR),
    RuleIn(RuleKind.PREFERRED, "お客", "お客様"),
    RuleIn(RuleKind.PREFERRED, "コンピュータ", "コンピューター"),
    RuleIn(RuleKind.PREFERRED, "メイル", "メール"),
    RuleIn(RuleKind.PREFERRED, "出来ます", "できます"),
    RuleIn(RuleKind.PREFERRED, "下さい", "ください"),
    RuleIn(RuleKind.PREFERRED, "様々", "さまざま", severity=Severity.INFO),
    RuleIn(RuleKind.SPELLING, "ミナトショウテン", "ミナト商店"),
    RuleIn(RuleKind.SPELLING, "Minato", "MINATO"),
    RuleIn(RuleKind.PATTERN, r"送料\s*無料[!！]+", "送料無料", message="送料無料に感嘆符を付けない。"),
    RuleIn(RuleKind.PATTERN, r"[0-9]+%\s*OFF", message="割引は「◯%オフ」と書く。"),
]

DEFAULT_UGC = ("インフルエンサー・UGC：PR表記（#PR #ミナト商店提供）を必ず入れる。効能・効果の断定は禁止。"
               "写真の人物は本人の許可を得たものだけ。")


@transaction.atomic
def brandkit_seed_default(*, acting_user=None) -> BrandKit:
    """Create (once) the demo brand ミナト商店 / MINATO with a complete, published kit. Idempotent."""
    brand = Brand.objects.filter(slug=DEFAULT_BRAND["slug"]).first()
    if brand is None:
        brand = brand_create(name=DEFAULT_BRAND["name"], slug=DEFAULT_BRAND["slug"],
                             is_default=not Brand.objects.filter(is_default=True).exists())
    kit = brand.kits.filter(is_active=True).first()
    if kit is not None and kit.published_version_id:
        return kit
    if kit is None:
        kit = kit_create(brand=brand, name="ブランドガイドライン", acting_user=acting_user)
    draft = draft_get_or_create(kit=kit, acting_user=acting_user)
    draft_update(version=draft, identity=DEFAULT_IDENTITY, tone=DEFAULT_TONE, typography=DEFAULT_TYPOGRAPHY,
                 logo_rules={"min_size_px": 64, "clear_space": "ロゴの高さの1/2以上の余白"},
                 channel_templates=DEFAULT_TEMPLATES, channel_rules=DEFAULT_CHANNEL_RULES,
                 notation={"fullwidth_alnum": True, "halfwidth_katakana": True, "long_vowel": True},
                 ugc_guidelines=DEFAULT_UGC)
    palette_set(version=draft, colours=DEFAULT_PALETTE, names=PALETTE_NAMES)
    rules_set(version=draft, rules=DEFAULT_RULES)
    version_publish(version=draft, acting_user=acting_user, note="初版")
    kit.refresh_from_db()
    return kit
