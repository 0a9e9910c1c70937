"""What HQ types into the brand kit console pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import assets, sections, services
from .colour import normalise_hex
from .models import REQUIRED_ELEMENT_LABELS, TEMPLATE_LABELS, Channel, ColourRole, Severity


class DraftForm(forms.Form):
    """Identity, palette, tone, channels (tone adjustment, limits, templates), logo rules and
    editorial rules of a draft, saved together or not at all."""

    brand_name = forms.CharField(label=_("Brand name"), max_length=100)
    tagline = forms.CharField(label=_("Tagline"), max_length=200, required=False)
    mission = forms.CharField(label=_("Mission"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    vision = forms.CharField(label=_("Vision"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    values = forms.CharField(label=_("Core values"), required=False, help_text=_("Separate with commas."))
    story = forms.CharField(label=_("Story"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    legal_name = forms.CharField(
        label=_("Company name"), max_length=200, required=False,
        help_text=_("The registered name of the business, e.g. 株式会社ミナト商店. Receipts and order "
                    "confirmations name it as the seller unless the server sets INVOICE_SELLER_NAME."))
    legal_footer = forms.CharField(label=_("Legal footer"), max_length=300, required=False)
    ugc_guidelines = forms.CharField(label=_("Influencer / UGC guidelines"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    rules = forms.CharField(
        label=_("Editorial rules"), required=False, widget=forms.Textarea(attrs={"rows": 12, "class": "mono"}),
        help_text=_("One rule per line: kind | term or pattern | write instead | severity | channels. "
                    "Kinds: banned, preferred, spelling, pattern. Channels separated by spaces; empty = all."),
    )
    note = forms.CharField(label=_("Change note"), max_length=200, required=False)
    logo_min_size_px = forms.IntegerField(label=_("Logo minimum size (px)"), min_value=8, max_value=2000,
                                          required=False, help_text=_("The smallest height the logo may be shown at."))
    logo_clear_space = forms.CharField(label=_("Logo clear space"), max_length=300, required=False,
                                       help_text=_("The empty space to keep on every side of the logo, as a share of its "
                                                   "height (1/2, 1x) or in px. Social cards and POP signs keep it."))

    tone_attributes = forms.CharField(
        label=_("Tone attributes"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One attribute per line: name | description | do examples | don't examples. "
                    "Separate several examples with “;”."))
    heading_family = forms.CharField(label=_("Heading font"), max_length=60, required=False,
                                     help_text=_("A family that can set Japanese, e.g. Noto Sans JP."))
    body_family = forms.CharField(label=_("Body font"), max_length=60, required=False)
    font_fallbacks = forms.CharField(label=_("Fallback fonts"), max_length=300, required=False,
                                     help_text=_("Comma separated, tried in order; end with a generic family."))
    scale_h1 = forms.CharField(label=_("Heading 1"), max_length=12, required=False)
    scale_h2 = forms.CharField(label=_("Heading 2"), max_length=12, required=False)
    scale_h3 = forms.CharField(label=_("Heading 3"), max_length=12, required=False)
    scale_body = forms.CharField(label=_("Body text"), max_length=12, required=False)
    scale_small = forms.CharField(label=_("Small text"), max_length=12, required=False)
    notation_fullwidth_alnum = forms.BooleanField(label=_("Flag full-width digits and letters"), required=False)
    notation_halfwidth_katakana = forms.BooleanField(label=_("Flag half-width katakana"), required=False)
    notation_long_vowel = forms.BooleanField(label=_("Flag a hyphen used as a katakana long-vowel mark"),
                                             required=False)

    # The content the form was filled from (services.version_fingerprint): the save refuses when it has changed.
    base_version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    NOTATION_KEYS = ("fullwidth_alnum", "halfwidth_katakana", "long_vowel")

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        for role, label in ColourRole.choices:
            self.fields[f"colour_{role}"] = forms.CharField(label=label, max_length=9,
                                                            widget=forms.TextInput(attrs={"class": "hex"}))
        for channel in Channel.values:
            self.fields[f"max_{channel}"] = forms.IntegerField(label=_("Maximum length"), min_value=1,
                                                               max_value=100_000, required=False)
            self.fields[f"tone_{channel}"] = forms.CharField(
                label=_("Tone adjustment"), max_length=sections.TONE_CHANNEL_MAX, required=False,
                widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[f"excl_{channel}"] = forms.IntegerField(
                label=_("Exclamation marks allowed"), min_value=0, max_value=20, required=False,
                help_text=_("Empty: the rule for all channels applies."))
            self.fields[f"emoji_{channel}"] = forms.BooleanField(label=_("Emoji allowed"), required=False)
            self.fields[f"req_{channel}"] = forms.MultipleChoiceField(
                label=_("Required elements"), choices=list(REQUIRED_ELEMENT_LABELS.items()), required=False,
                widget=forms.CheckboxSelectMultiple)
            for name, limit in sections.CHANNEL_TEMPLATE_FIELDS.get(channel, {}).items():
                widget = forms.TextInput() if limit <= 300 else forms.Textarea(attrs={"rows": 2})
                self.fields[f"template_{channel}_{name}"] = forms.CharField(
                    label=TEMPLATE_LABELS[name], max_length=limit, required=False, widget=widget)
        if version is not None and not self.is_bound:
            self.initial.update(self.initial_from(version))

    @staticmethod
    def initial_from(version) -> dict:
        identity = version.identity or {}
        initial = {key: identity.get(key, "") for key in ("brand_name", "tagline", "mission", "vision", "story",
                                                         "legal_name", "legal_footer")}
        initial["values"] = ", ".join(identity.get("values", []))
        initial["base_version"] = services.version_fingerprint(version)
        initial["ugc_guidelines"] = version.ugc_guidelines
        initial["note"] = version.note
        for colour in version.palette.all():
            initial[f"colour_{colour.role}"] = colour.hex
        channel_rules = version.channel_rules or {}
        tone_channels = (version.tone or {}).get("channels") or {}
        templates = version.channel_templates or {}
        for channel in Channel.values:
            rules = channel_rules.get(channel) or {}
            if rules.get("max_length"):
                initial[f"max_{channel}"] = rules["max_length"]
            if rules.get("exclamation_max") is not None:
                initial[f"excl_{channel}"] = rules["exclamation_max"]
            initial[f"emoji_{channel}"] = rules.get("emoji", True) is not False
            initial[f"req_{channel}"] = list(rules.get("required") or [])
            initial[f"tone_{channel}"] = tone_channels.get(channel, "")
            for name in sections.CHANNEL_TEMPLATE_FIELDS.get(channel, {}):
                initial[f"template_{channel}_{name}"] = (templates.get(channel) or {}).get(name, "")
        tone = version.tone or {}
        initial["tone_attributes"] = "\n".join(
            " | ".join([attr.get("name", ""), attr.get("description", ""), "; ".join(attr.get("do", [])),
                        "; ".join(attr.get("dont", []))]).rstrip(" |")
            for attr in tone.get("attributes", []))
        typography = version.typography or {}
        initial["heading_family"] = (typography.get("heading") or {}).get("family", "")
        initial["body_family"] = (typography.get("body") or {}).get("family", "")
        initial["font_fallbacks"] = ", ".join((typography.get("body") or {}).get("fallbacks", []))
        for step in sections.TYPE_SCALE_STEPS:
            initial[f"scale_{step}"] = str((typography.get("scale") or {}).get(step, ""))
        for key in DraftForm.NOTATION_KEYS:
            initial[f"notation_{key}"] = (version.notation or {}).get(key, True) is not False
        logo_rules = version.logo_rules or {}
        initial["logo_min_size_px"] = logo_rules.get("min_size_px")
        initial["logo_clear_space"] = logo_rules.get("clear_space", "")
        initial["rules"] = "\n".join(
            " | ".join([r.kind, r.pattern, r.replacement, r.severity, " ".join(r.channels or [])]).rstrip(" |")
            for r in version.rules.all()
        )
        return initial

    def notation_fields(self):
        return [self[f"notation_{key}"] for key in self.NOTATION_KEYS]

    def scale_fields(self):
        return [self[f"scale_{step}"] for step in sections.TYPE_SCALE_STEPS]

    def palette_fields(self):
        return [self[f"colour_{role}"] for role in ColourRole.values]

    def length_fields(self):
        return [self[f"max_{channel}"] for channel in Channel.values]

    def channel_sections(self) -> list[dict]:
        """One block per channel for the template: its rules, tone adjustment and templates."""
        out = []
        for channel, label in Channel.choices:
            templates = [self[f"template_{channel}_{name}"] for name in sections.CHANNEL_TEMPLATE_FIELDS.get(channel, {})]
            out.append({"code": channel, "label": label, "tone": self[f"tone_{channel}"],
                        "rules": [self[f"max_{channel}"], self[f"excl_{channel}"], self[f"emoji_{channel}"]],
                        "required": self[f"req_{channel}"], "templates": templates})
        return out

    # Paths in a service ValidationError -> the form field that shows the error.
    SERVICE_FIELDS = {"identity.brand_name": "brand_name", "logo_rules.min_size_px": "logo_min_size_px",
                      "logo_rules.clear_space": "logo_clear_space"}

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the errors a service raised on the fields they belong to (else on the form)."""
        for path, messages in error.message_dict.items():
            name = self.SERVICE_FIELDS.get(path)
            parts = path.split(".")
            if name is None and path in ColourRole.values:
                name = f"colour_{path}"
            elif name is None and parts[:2] == ["tone", "channels"] and len(parts) == 3:
                name = f"tone_{parts[2]}"
            elif name is None and parts[0] == "channel_templates" and len(parts) == 3:
                name = f"template_{parts[1]}_{parts[2]}"
            elif name is None and parts[0] == "channel_rules" and len(parts) == 3:
                name = {"max_length": "max_", "exclamation_max": "excl_", "emoji": "emoji_",
                        "required": "req_"}.get(parts[2], "") + parts[1]
            elif name is None and parts[0] == "rules":
                name = "rules"
            elif name is None and parts[0] == "identity" and len(parts) >= 2:
                name = parts[1]  # identity.values.2 -> values, identity.legal_footer -> legal_footer
            elif name is None and parts[:2] == ["tone", "attributes"]:
                name = "tone_attributes"
            elif name is None and parts[0] == "notation" and len(parts) == 2:
                name = f"notation_{parts[1]}"
            elif name is None and parts[:2] == ["typography", "scale"] and len(parts) == 3:
                name = f"scale_{parts[2]}"
            elif name is None and parts[0] == "typography" and len(parts) == 3:
                name = {"family": f"{parts[1]}_family", "fallbacks": "font_fallbacks"}.get(parts[2])
            if name not in self.fields:
                name = None
            for message in messages:
                self.add_error(name, message if name else f"{path}: {message}")

    def clean(self):
        cleaned = super().clean()
        for role in ColourRole.values:
            key = f"colour_{role}"
            if cleaned.get(key):
                try:
                    cleaned[key] = normalise_hex(cleaned[key])
                except ValidationError as error:
                    self.add_error(key, error)
        rules, errors = parse_rules(cleaned.get("rules", ""))
        for error in errors:
            self.add_error("rules", error)
        cleaned["parsed_rules"] = rules
        attributes, errors = parse_tone_attributes(cleaned.get("tone_attributes", ""))
        for error in errors:
            self.add_error("tone_attributes", error)
        cleaned["parsed_attributes"] = attributes
        for name in ("heading_family", "body_family"):
            if cleaned.get(name) and not FONT_NAME.fullmatch(cleaned[name]):
                self.add_error(name, ValidationError(_("Use letters, digits, spaces and hyphens only."),
                                                     code="font_name"))
        fallbacks = [f.strip() for f in (cleaned.get("font_fallbacks") or "").split(",") if f.strip()]
        if any(not FONT_NAME.fullmatch(f) for f in fallbacks):
            self.add_error("font_fallbacks", ValidationError(_("Use letters, digits, spaces and hyphens only."),
                                                             code="font_name"))
        cleaned["fallback_list"] = fallbacks
        for step in sections.TYPE_SCALE_STEPS:
            value = (cleaned.get(f"scale_{step}") or "").strip().replace(" ", "")
            cleaned[f"scale_{step}"] = value
            if value and (problem := sections.type_size_error(value)):
                self.add_error(f"scale_{step}", ValidationError(problem, code="type_size"))
        signature = cleaned.get("template_sms_signature") or ""
        sms_max = cleaned.get("max_sms")
        if signature and sms_max and len(signature) >= sms_max:
            self.add_error("template_sms_signature", ValidationError(
                _("The signature (%(n)d characters) leaves no room in an SMS of %(max)d characters."),
                code="signature_too_long", params={"n": len(signature), "max": sms_max}))
        return cleaned

    def rebase(self, fingerprint: str) -> None:
        """After ``services.DraftChanged``: the form keeps what was typed, and saving it again
        means doing so over the content as it is now."""
        self.data = self.data.copy()
        self.data[self.add_prefix("base_version")] = fingerprint

    def draft_values(self, version) -> dict:
        """``services.draft_save``'s arguments: what the form edits, merged over the sections of
        ``version`` it leaves alone (``services.draft_edit`` calls it with the locked draft)."""
        data = self.cleaned_data
        identity = dict(version.identity or {})
        identity.update({key: data[key] for key in ("brand_name", "tagline", "mission", "vision", "story",
                                                   "legal_name", "legal_footer")})
        identity["values"] = [v.strip() for v in data["values"].replace("、", ",").split(",") if v.strip()]
        channel_rules = {key: dict(value) for key, value in (version.channel_rules or {}).items()}
        tone = dict(version.tone or {})
        tone["attributes"] = data["parsed_attributes"]
        tone["channels"] = {}
        typography = {key: dict(value) if isinstance(value, dict) else value
                      for key, value in (version.typography or {}).items()}
        for role in ("heading", "body"):
            spec = typography.setdefault(role, {})
            if data.get(f"{role}_family"):
                spec["family"] = data[f"{role}_family"]
            spec["fallbacks"] = data["fallback_list"]
        scale = dict(typography.get("scale") or {}) if isinstance(typography.get("scale"), dict) else {}
        for step in sections.TYPE_SCALE_STEPS:
            if data.get(f"scale_{step}"):
                scale[step] = data[f"scale_{step}"]
            else:
                scale.pop(step, None)
        typography["scale"] = scale
        templates = {key: dict(value) for key, value in (version.channel_templates or {}).items()}
        for channel in Channel.values:
            rules = channel_rules.setdefault(channel, {})
            for key, field_name in (("max_length", "max_"), ("exclamation_max", "excl_")):
                value = data.get(field_name + channel)
                if value is not None and value != "":
                    rules[key] = value
                else:
                    rules.pop(key, None)
            if data.get(f"emoji_{channel}"):
                rules.pop("emoji", None)
            else:
                rules["emoji"] = False
            if data.get(f"req_{channel}"):
                rules["required"] = list(data[f"req_{channel}"])
            else:
                rules.pop("required", None)
            if data.get(f"tone_{channel}", "").strip():
                tone["channels"][channel] = data[f"tone_{channel}"].strip()
            for name in sections.CHANNEL_TEMPLATE_FIELDS.get(channel, {}):
                text = data.get(f"template_{channel}_{name}", "").strip()
                if text:
                    templates.setdefault(channel, {})[name] = text
                elif channel in templates:
                    templates[channel].pop(name, None)
            if channel in templates and not templates[channel]:
                del templates[channel]
        logo_rules = dict(version.logo_rules or {})
        for key, field_name in (("min_size_px", "logo_min_size_px"), ("clear_space", "logo_clear_space")):
            if data.get(field_name) not in (None, ""):
                logo_rules[key] = data[field_name]
            else:
                logo_rules.pop(key, None)
        return {
            "identity": identity, "channel_rules": channel_rules, "tone": tone, "channel_templates": templates,
            "logo_rules": logo_rules, "typography": typography,
            "notation": {**(version.notation or {}), **{key: bool(data.get(f"notation_{key}"))
                                                        for key in self.NOTATION_KEYS}},
            "ugc_guidelines": data["ugc_guidelines"], "note": data["note"],
            "palette": {role: data[f"colour_{role}"] for role in ColourRole.values},
            "rules": data["parsed_rules"],
        }


FONT_NAME = sections.FONT_FAMILY


def parse_tone_attributes(text: str) -> tuple[list[dict], list[str]]:
    """Lines of ``name | description | do; do | don't; don't`` -> tone attributes, with line errors."""
    attributes, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")] + ["", "", ""]
        name, description, do, dont = parts[:4]
        if not name:
            errors.append(_("Line %(n)d: name the attribute first.") % {"n": number})
            continue
        if len(name) > 60 or len(line) > 1000:
            errors.append(_("Line %(n)d is too long.") % {"n": number})
            continue
        attributes.append({"name": name, "description": description,
                           "do": [x.strip() for x in do.split(";") if x.strip()],
                           "dont": [x.strip() for x in dont.split(";") if x.strip()]})
    return attributes, errors


def parse_rules(text: str) -> tuple[list[services.RuleIn], list[str]]:
    """Lines of ``kind | pattern | replacement | severity | channels`` -> RuleIn, with line errors."""
    rules, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ")]
        parts += [""] * (5 - len(parts))
        kind, pattern, replacement, severity, channels = parts[:5]
        rule = services.RuleIn(kind=kind, pattern=pattern, replacement=replacement,
                               severity=severity or Severity.WARNING, channels=tuple(channels.split()))
        problems = services.rule_validate(rule)
        if problems:
            errors.append(_("Line %(n)d: %(problems)s") % {"n": number, "problems": " ".join(problems.values())})
        else:
            rules.append(rule)
    return rules, errors


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Logo (PNG, JPEG or WebP)"))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def clean_logo(self):
        upload = self.cleaned_data["logo"]
        assets.inspect_upload(upload)  # a field error: not an image, too big, bomb, too small (header only)
        return upload


class CheckForm(forms.Form):
    text = forms.CharField(label=_("Your copy"), required=False, max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 10}))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.WEB)
    locale = forms.ChoiceField(label=_("Language"), choices=[("ja", "日本語"), ("en", "English")], initial="ja")


class CardForm(forms.Form):
    KINDS = [("square", _("Social card 1080×1080")), ("landscape", _("Social card 1200×630")),
             ("pop", _("POP sign (A4)"))]
    kind = forms.ChoiceField(label=_("Format"), choices=KINDS)
    headline = forms.CharField(label=_("Headline"), max_length=60)
    subline = forms.CharField(label=_("Second line (price, date)"), max_length=60, required=False)
    photo = forms.FileField(label=_("Product photo"), required=False)

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        # Every photo box of every format fits in 1200×900: a larger JPEG decodes at 1/2..1/8 scale.
        return assets.open_upload(upload, max_bytes=10 * 1024 * 1024, min_side=200,
                                  draft_size=(1200, 900), mode="RGB")


class BrandForm(forms.Form):
    """A new brand (HQ): it gets an active kit with a draft to fill in and publish."""

    name = forms.CharField(label=_("Brand name"), max_length=100)
    slug = forms.SlugField(label=_("Short name (URL)"), max_length=50, required=False,
                           help_text=_("Latin letters, digits and hyphens; made from the name when empty."))
    is_default = forms.BooleanField(label=_("Make it the default brand"), required=False,
                                    help_text=_("The console, storefront and emails render with the default brand's kit."))
