from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.models import Segment

from .models import (
    Campaign,
    CampaignMessage,
    MessageChannel,
    Objective,
    SendingPolicy,
    default_quiet_end,
    default_quiet_start,
)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    objective = forms.ChoiceField(label=_("Objective"), choices=Objective.choices)
    segments = forms.ModelMultipleChoiceField(
        label=_("Audience"), queryset=Segment.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Customers in any of these segments."))
    excluded_segments = forms.ModelMultipleChoiceField(
        label=_("Exclude"), queryset=Segment.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Customers in any of these never receive it."))
    send_at = forms.DateTimeField(label=_("Send at"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                  help_text=_("Empty: as soon as it is started."))
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                  help_text=Campaign._meta.get_field("ends_at").help_text)
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False, initial=default_quiet_start,
                                  widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False, initial=default_quiet_end,
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                help_text=_("Messages due in these hours wait until they end, in the customer's time."))
    utm_campaign = forms.SlugField(label=_("UTM campaign"), max_length=60, required=False,
                                   help_text=Campaign._meta.get_field("utm_campaign").help_text)

    FIELDS = ("name", "objective", "send_at", "ends_at", "quiet_start", "quiet_end", "utm_campaign")

    @classmethod
    def for_campaign(cls, campaign: Campaign, data=None):
        initial = {name: getattr(campaign, name) for name in cls.FIELDS}
        initial["segments"] = list(campaign.segments.all())
        initial["excluded_segments"] = list(campaign.excluded_segments.all())
        return cls(data, initial=initial)


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject / headline"), max_length=200, required=False)
    preheader = forms.CharField(label=_("Preview text"), max_length=200, required=False,
                                help_text=_("Shown after the subject in the inbox."))
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))
    cta_label = forms.CharField(label=_("Button label"), max_length=60, required=False)
    cta_url = forms.CharField(label=_("Button link"), max_length=500, required=False,
                              help_text=CampaignMessage._meta.get_field("cta_url").help_text)
    include_recommendations = forms.BooleanField(
        label=_("Add recommendations"), required=False,
        help_text=CampaignMessage._meta.get_field("include_recommendations").help_text)

    @classmethod
    def for_message(cls, message: CampaignMessage | None, data=None):
        if message is None:
            return cls(data)
        return cls(data, initial={name: getattr(message, name) for name in (
            "subject", "preheader", "body", "cta_label", "cta_url", "include_recommendations")})


class NewMessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("Why send despite the brand check"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class SendingPolicyForm(forms.ModelForm):
    class Meta:
        model = SendingPolicy
        fields = ["frequency_cap", "frequency_days", "sender_name", "sender_address", "contact"]
