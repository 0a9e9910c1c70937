"""The journey editor's forms: the journey's settings and one step. They check what was typed
(numbers, choices); the rules (a wait longer than zero, a branch on a known condition…) are the
services' (campaigns.journeys), whose errors the views put back on these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Segment

from .journeys import JOURNEY_CHANNELS
from .models import MessageChannel
from .models_journeys import (
    BranchCondition,
    JourneyGoal,
    JourneyPurpose,
    JourneyStep,
    JourneyTrigger,
    Reentry,
    StepKind,
)
from .models_offers import Offer

CHANNEL_CHOICES = [(c.value, c.label) for c in MessageChannel if c.value in JOURNEY_CHANNELS]


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(label=_("Trigger"), choices=JourneyTrigger.choices)
    hours = forms.IntegerField(label=_("Hours after the cart was left"), required=False, min_value=1, max_value=720)
    days = forms.IntegerField(label=_("Days without an order"), required=False, min_value=1, max_value=3650)
    days_before = forms.IntegerField(label=_("Days before the birthday"), required=False, min_value=0, max_value=60)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.order_by("name"), required=False,
                                     empty_label=_("Choose a segment"))
    event = forms.CharField(label=_("Event name"), max_length=60, required=False,
                            help_text=_("What other systems send through the API (app_installed, …)."))
    purpose = forms.ChoiceField(label=_("Purpose"), choices=JourneyPurpose.choices)
    goal = forms.ChoiceField(label=_("Goal"), choices=JourneyGoal.choices, required=False)
    reentry = forms.ChoiceField(label=_("Re-entry"), choices=Reentry.choices)
    reentry_days = forms.IntegerField(label=_("Days before re-entry"), min_value=1, initial=30)
    cap_messages = forms.IntegerField(label=_("Messages at most"), required=False, min_value=1,
                                      help_text=_("Per customer within the period, from this journey; empty: no cap."))
    cap_days = forms.IntegerField(label=_("Period (days)"), min_value=1, initial=7)

    TRIGGER_FIELDS = {"cart_abandoned": "hours", "inactive": "days", "birthday": "days_before",
                      "segment_entered": "segment", "custom": "event"}

    @classmethod
    def for_journey(cls, journey) -> "JourneyForm":
        initial = {name: getattr(journey, name) for name in ("name", "description", "trigger", "purpose", "goal",
                                                             "reentry", "reentry_days", "cap_messages", "cap_days")}
        for name in ("hours", "days", "days_before", "event"):
            if name in journey.trigger_config:
                initial[name] = journey.trigger_config[name]
        if "segment" in journey.trigger_config:
            initial["segment"] = journey.trigger_config["segment"]
        return cls(initial=initial)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        trigger = data["trigger"]
        config = {}
        wanted = self.TRIGGER_FIELDS.get(trigger)
        if wanted == "segment":
            config["segment"] = data["segment"].pk if data["segment"] else None
        elif wanted == "event":
            config["event"] = (data["event"] or "").strip()
        elif wanted:
            config[wanted] = data[wanted] if data[wanted] is not None else (0 if wanted == "days_before" else None)
        return {"name": data["name"], "description": data["description"], "trigger": trigger,
                "trigger_config": config, "purpose": data["purpose"], "goal": data["goal"] or "",
                "reentry": data["reentry"], "reentry_days": data["reentry_days"],
                "cap_messages": data["cap_messages"], "cap_days": data["cap_days"]}


WAIT_UNITS = [("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))]
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}


class StepForm(forms.Form):
    """One step's settings; which fields apply depends on its kind."""

    kind = forms.ChoiceField(label=_("What the step does"), choices=StepKind.choices)
    name = forms.CharField(label=_("Label"), max_length=80, required=False,
                           help_text=_("How the flow and its figures name the step."))
    # wait
    amount = forms.IntegerField(label=_("Wait"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=WAIT_UNITS, required=False, initial="days")
    at = forms.TimeField(label=_("Then until (customer's time)"), required=False,
                         widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                         help_text=_("Empty: no particular time of day."))
    # branch
    condition = forms.ChoiceField(label=_("Condition"), choices=BranchCondition.choices, required=False)
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.order_by("name"), required=False,
                                     empty_label=_("Choose a segment"))
    # send (and a branch on consent)
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNEL_CHOICES, required=False)
    fallback_channel = forms.ChoiceField(label=_("If not opened, fall back to"), required=False,
                                         choices=[("", _("No fallback")), *CHANNEL_CHOICES])
    fallback_hours = forms.IntegerField(label=_("Hours to wait for an open"), required=False, initial=24)
    # offer
    offer = forms.ModelChoiceField(label=_("Offer"), required=False, empty_label=_("Choose an offer"),
                                   queryset=Offer.objects.filter(is_active=True, automatic=False).order_by("name"))

    @classmethod
    def for_step(cls, step: JourneyStep) -> "StepForm":
        config = step.config or {}
        initial = {"kind": step.kind, "name": step.name, "offer": step.offer_id, **{
            name: config.get(name) for name in ("condition", "channel", "fallback_channel", "fallback_hours")}}
        if step.kind == StepKind.WAIT:
            minutes = config.get("minutes")
            if minutes:
                unit = "days" if minutes % (24 * 60) == 0 else "hours" if minutes % 60 == 0 else "minutes"
                initial.update(amount=minutes // UNIT_MINUTES[unit], unit=unit)
            initial["at"] = config.get("at") or None
        if config.get("segment"):
            initial["segment"] = config["segment"]
        return cls(initial=initial)

    def config(self) -> dict:
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        if kind == StepKind.WAIT:
            config = {}
            if data.get("amount") is not None:
                config["minutes"] = data["amount"] * UNIT_MINUTES[data.get("unit") or "days"]
            if data.get("at"):
                config["at"] = data["at"].strftime("%H:%M")
            if not config:
                config["minutes"] = 0  # refused by the service with the field named
            return config
        if kind == StepKind.BRANCH:
            config = {"condition": data.get("condition") or ""}
            if config["condition"] == BranchCondition.HAS_CONSENT:
                config["channel"] = data.get("channel") or ""
            if config["condition"] == BranchCondition.IN_SEGMENT:
                config["segment"] = data["segment"].pk if data.get("segment") else None
            return config
        if kind == StepKind.SEND:
            config = {"channel": data.get("channel") or ""}
            if data.get("fallback_channel"):
                config.update(fallback_channel=data["fallback_channel"], fallback_hours=data.get("fallback_hours"))
            return config
        return {}


ERROR_FIELD = {"minutes": "amount", "trigger_config.hours": "hours", "trigger_config.days": "days",
               "trigger_config.days_before": "days_before", "trigger_config.segment": "segment",
               "trigger_config.event": "event"}


def put_errors(form: forms.Form, errors: dict) -> None:
    """A service's field errors onto the form (its field names mapped to the form's)."""
    for field, messages in errors.items():
        name = ERROR_FIELD.get(field, field)
        form.add_error(name if name in form.fields else None, messages)
