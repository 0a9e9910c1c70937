"""The A/B test editor of a campaign page: the test's settings and up to four variants, each with
a subject and body per message of the campaign (empty: keeps the message's), another of the
campaign's offers, or another channel with its own text per language."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .abtests import VariantIn, message_slot, sent_channel
from .models import CampaignMessage, MessageChannel
from .models_abtest import VARIANT_LABELS, ABMetric, ABTest, VariantChannel
from .models_offers import Offer


def _field_name(label: str, message: CampaignMessage, part: str) -> str:
    return f"v{label}_{message.channel}_{message.language.replace('-', '_')}_{part}"


class ABTestForm(forms.Form):
    test_share = forms.IntegerField(label=_("Test share (%)"), min_value=1, max_value=100, initial=20,
                                    help_text=_("This share of the audience is split evenly between the variants; "
                                                "the rest later gets the winner."))
    metric = forms.ChoiceField(label=_("Winner by"), choices=ABMetric.choices, initial=ABMetric.CLICK_RATE)
    decide_after_hours = forms.IntegerField(label=_("Send the winner after (hours)"), min_value=1, required=False,
                                            help_text=_("Empty: decide and send the winner from this page."))

    def __init__(self, *args, messages: list[CampaignMessage], ab_test: ABTest | None = None,
                 offers: list[Offer] | None = None, **kwargs):
        initial = {}
        variants = {}
        if ab_test is not None:
            variants = {v.label: v for v in ab_test.variants.all()}
            initial = {"test_share": ab_test.test_share, "metric": ab_test.metric,
                       "decide_after_hours": ab_test.decide_after_hours}
        else:
            initial = {f"use_{label}": True for label in VARIANT_LABELS[:2]}
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        self.messages_ = messages
        self.variant_rows = []
        channels = dict(MessageChannel.choices)
        self.source = sent_channel(messages)
        self.languages = sorted({m.language for m in messages if m.channel == self.source})
        offer_choices = [("", _("The campaign's own offer"))] + [(str(o.pk), o.name) for o in offers or []]
        for label in VARIANT_LABELS:
            use = f"use_{label}"
            self.fields[use] = forms.BooleanField(label=_("Variant %(label)s in the test") % {"label": label},
                                                  required=False)
            if label in variants:
                self.initial[use] = True
            parts = []
            for message in messages:
                where = f"{channels.get(message.channel, message.channel)} ({message.language})"
                for part, part_label, widget in (
                        ("subject", _("Subject"), forms.TextInput(attrs={"placeholder": message.subject})),
                        ("body", _("Body"), forms.Textarea(attrs={"rows": 3, "placeholder": message.body}))):
                    if part == "subject" and message.channel not in (MessageChannel.EMAIL, MessageChannel.ONSITE,
                                                                     MessageChannel.POSTCARD, MessageChannel.POP):
                        continue
                    name = _field_name(label, message, part)
                    self.fields[name] = forms.CharField(label=f"{part_label} · {where}", required=False, widget=widget,
                                                        max_length=200 if part == "subject" else 10_000)
                    if label in variants:
                        self.initial[name] = variants[label].part(message_slot(message), part)
                    parts.append(name)
            extra = []
            if len(offer_choices) > 1:
                self.fields[f"v{label}_offer"] = forms.ChoiceField(
                    label=_("Offer"), choices=offer_choices, required=False,
                    help_text=_("Its recipients get this offer's code in {{ offer_code }}."))
                if label in variants and variants[label].offer_id:
                    self.initial[f"v{label}_offer"] = str(variants[label].offer_id)
                extra.append(f"v{label}_offer")
            if self.source:
                self.fields[f"v{label}_channel"] = forms.ChoiceField(
                    label=_("Goes by"), choices=VariantChannel.choices, required=False,
                    help_text=_("Another channel for this variant's share: the customers without an opt-in to it "
                                "are skipped and counted."))
                extra.append(f"v{label}_channel")
                for language in self.languages:
                    name = f"v{label}_via_{language.replace('-', '_')}_body"
                    self.fields[name] = forms.CharField(
                        label=_("Text on that channel (%(language)s)") % {"language": language}, required=False,
                        max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))
                    extra.append(name)
                if label in variants and variants[label].channel:
                    variant = variants[label]
                    self.initial[f"v{label}_channel"] = variant.channel
                    for language in self.languages:
                        self.initial[f"v{label}_via_{language.replace('-', '_')}_body"] = variant.part(
                            f"{variant.channel}/{language}", "body")
            self.variant_rows.append((label, use, parts, extra))

    def variant_fields(self):
        """(label, its checkbox, its copy fields, its offer and channel fields) for the template."""
        return [(label, self[use], [self[name] for name in names], [self[name] for name in extra])
                for label, use, names, extra in self.variant_rows]

    def variants(self) -> list[VariantIn]:
        chosen = []
        for label in VARIANT_LABELS:
            if not self.cleaned_data.get(f"use_{label}"):
                continue
            copy: dict[str, dict[str, str]] = {}
            for message in self.messages_:
                for part in ("subject", "body"):
                    text = (self.cleaned_data.get(_field_name(label, message, part)) or "").strip()
                    if text:
                        copy.setdefault(message_slot(message), {})[part] = text
            channel = self.cleaned_data.get(f"v{label}_channel") or ""
            if channel and channel != self.source:
                for language in self.languages:
                    text = (self.cleaned_data.get(f"v{label}_via_{language.replace('-', '_')}_body") or "").strip()
                    if text:
                        copy.setdefault(f"{channel}/{language}", {})["body"] = text
            offer = self.cleaned_data.get(f"v{label}_offer") or ""
            chosen.append(VariantIn(label=label, copy=copy, offer_id=int(offer) if offer else None, channel=channel))
        return chosen
