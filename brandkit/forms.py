"""What HQ types into the brand kit console pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import assets, services
from .colour import normalise_hex
from .models import Channel, ColourRole, Severity


class DraftForm(forms.Form):
    """Identity, palette, channel limits and editorial rules of a draft, saved together or not at all."""

    brand_name = forms.CharField(label=_("Brand name"), max_length=100)
    tagline = forms.CharField(label=_("Tagline"), max_length=200, required=False)
    mission = forms.CharField(label=_("Mission"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    vision = forms.CharField(label=_("Vision"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    values = forms.CharField(label=_("Core values"), required=False, help_text=_("Separate with commas."))
    story = forms.CharField(label=_("Story"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    legal_footer = forms.CharField(label=_("Legal footer"), max_length=300, required=False)
    ugc_guidelines = forms.CharField(label=_("Influencer / UGC guidelines"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    rules = forms.CharField(
        label=_("Editorial rules"), required=False, widget=forms.Textarea(attrs={"rows": 12, "class": "mono"}),
        help_text=_("One rule per line: kind | term or pattern | write instead | severity | channels. "
                    "Kinds: banned, preferred, spelling, pattern. Channels separated by spaces; empty = all."),
    )
    note = forms.CharField(label=_("Change note"), max_length=200, required=False)

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        for role, label in ColourRole.choices:
            self.fields[f"colour_{role}"] = forms.CharField(label=label, max_length=9,
                                                            widget=forms.TextInput(attrs={"class": "hex"}))
        for channel, label in Channel.choices:
            self.fields[f"max_{channel}"] = forms.IntegerField(label=label, min_value=1, max_value=100_000,
                                                               required=False)
        if version is not None and not self.is_bound:
            self.initial.update(self.initial_from(version))

    @staticmethod
    def initial_from(version) -> dict:
        identity = version.identity or {}
        initial = {key: identity.get(key, "") for key in ("brand_name", "tagline", "mission", "vision", "story",
                                                         "legal_footer")}
        initial["values"] = ", ".join(identity.get("values", []))
        initial["ugc_guidelines"] = version.ugc_guidelines
        initial["note"] = version.note
        for colour in version.palette.all():
            initial[f"colour_{colour.role}"] = colour.hex
        for channel, rules in (version.channel_rules or {}).items():
            if rules.get("max_length"):
                initial[f"max_{channel}"] = rules["max_length"]
        initial["rules"] = "\n".join(
            " | ".join([r.kind, r.pattern, r.replacement, r.severity, " ".join(r.channels or [])]).rstrip(" |")
            for r in version.rules.all()
        )
        return initial

    def palette_fields(self):
        return [self[f"colour_{role}"] for role in ColourRole.values]

    def length_fields(self):
        return [self[f"max_{channel}"] for channel in Channel.values]

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
        return cleaned

    def save(self, *, version, acting_user=None):
        data = self.cleaned_data
        identity = dict(version.identity or {})
        identity.update({key: data[key] for key in ("brand_name", "tagline", "mission", "vision", "story",
                                                   "legal_footer")})
        identity["values"] = [v.strip() for v in data["values"].replace("、", ",").split(",") if v.strip()]
        channel_rules = {key: dict(value) for key, value in (version.channel_rules or {}).items()}
        for channel in Channel.values:
            value = data.get(f"max_{channel}")
            rules = channel_rules.setdefault(channel, {})
            if value:
                rules["max_length"] = value
            else:
                rules.pop("max_length", None)
        return services.draft_save(
            version=version, acting_user=acting_user, identity=identity, channel_rules=channel_rules,
            ugc_guidelines=data["ugc_guidelines"], note=data["note"],
            palette={role: data[f"colour_{role}"] for role in ColourRole.values},
            rules=data["parsed_rules"],
        )


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
        assets.open_upload(upload)  # raises a field error: not an image, too big, bomb, too small
        upload.seek(0)
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
        return assets.open_upload(upload, max_bytes=10 * 1024 * 1024, min_side=200)
