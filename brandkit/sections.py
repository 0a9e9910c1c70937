"""The shape of a kit version's JSON sections: the known keys, their limits, and the
validation that reports errors keyed by field path (``tone.attributes.0.do``).

Every section of a draft (identity, tone, typography, logo rules, channel templates and
rules, notation) is checked here before the services write anything; the console's form and
the API's serializer read the same limits.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Channel, Severity


@dataclass(frozen=True)
class RuleIn:
    """An editorial rule as the services take it (``rules_set``, ``rule_add``)."""

    kind: str
    pattern: str
    replacement: str = ""
    message: str = ""
    severity: str = Severity.WARNING
    channels: tuple[str, ...] = ()


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

# The typography a new brand's kit starts from (the demo kit uses it too).
DEFAULT_TYPOGRAPHY = {
    "heading": {"family": "Noto Sans JP", "weight": 700,
                "fallbacks": ["Hiragino Kaku Gothic ProN", "Yu Gothic", "system-ui", "sans-serif"]},
    "body": {"family": "Noto Sans JP", "weight": 400,
             "fallbacks": ["Hiragino Kaku Gothic ProN", "Yu Gothic", "system-ui", "sans-serif"]},
    "scale": {"h1": "2.25rem", "h2": "1.75rem", "h3": "1.375rem", "body": "1rem", "small": "0.875rem"},
}


def validate_sections(values: dict) -> dict:
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


def legal_footer_errors(*, identity, channel_rules) -> dict:
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
