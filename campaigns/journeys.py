"""Journeys, defined: what a journey is made of, the checks before it may run, and the services
that write it (console, API and the ready-made journeys all go through these). The engine that
moves customers through an active journey is ``campaigns.journey_engine``.

A journey is valid (``journey_problems`` is empty) when:
- its trigger's settings are complete (hours of a cart abandonment > 0, a segment that exists…);
- it has a first step, and every step is reachable from it;
- following ``next_step`` / ``else_step`` never comes back to a step (no cycle);
- a branch has both ways ("yes" and "no"), each leading somewhere or deliberately to the end;
- a wait lasts more than zero (or waits for a time of day);
- a branch's condition is one it knows, with what it needs (a channel, a segment);
- a send step has content on its channel (and its fallback's) that passes the brand check;
- an offer step's offer is active and not expired.
Each problem names its step, so the editor shows it where it is.
"""

from dataclasses import dataclass
from datetime import time

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, Segment
from kernel.audit import audit_record

from .errors import CampaignError, CampaignInvalid, CampaignNotReady
from .models import Campaign, CampaignStatus, MessageChannel
from .models_journeys import (
    BranchCondition,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStep,
    Journey,
    JourneyGoal,
    JourneyPurpose,
    JourneyStatus,
    JourneyStep,
    JourneyTrigger,
    Reentry,
    StepKind,
)
from .models_offers import Offer

JOURNEY_CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.LINE)
MAX_WAIT_MINUTES = 366 * 24 * 60
BRANCH_NEEDS = {
    BranchCondition.HAS_CONSENT: "channel",
    BranchCondition.IN_SEGMENT: "segment",
}


@dataclass(frozen=True)
class Problem:
    """Why a journey cannot run: ``step`` is the step's id (None: the journey's own settings)."""

    message: str
    step: int | None = None
    field: str = ""

    def as_dict(self) -> dict:
        return {"step": self.step, "field": self.field, "message": self.message}


class JourneyNotReady(CampaignNotReady):
    code = "journey_not_ready"

    def __init__(self, problems: list[Problem]):
        self.items = problems
        super().__init__([p.message for p in problems])

    def payload(self) -> dict:
        return {"problems": [p.as_dict() for p in self.items]}


def step_label(step: JourneyStep) -> str:
    """How a problem names a step: its label, or its kind and number."""
    return step.name or f"{step.get_kind_display()} #{step.pk}"


# --- checks --------------------------------------------------------------------------------------

def trigger_problems(trigger: str, config: dict) -> dict[str, str]:
    """The trigger's settings, checked: field -> message."""
    errors: dict[str, str] = {}
    if trigger not in JourneyTrigger.values:
        errors["trigger"] = _("Choose a trigger.")
        return errors

    def positive(name: str, most: int) -> None:
        value = config.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= most:
            errors[name] = _("A whole number from 1 to %(most)s.") % {"most": most}

    if trigger == JourneyTrigger.CART_ABANDONED:
        positive("hours", 24 * 30)
    elif trigger == JourneyTrigger.INACTIVE:
        positive("days", 3650)
    elif trigger == JourneyTrigger.BIRTHDAY:
        value = config.get("days_before", 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
            errors["days_before"] = _("A whole number from 0 to 60.")
    elif trigger == JourneyTrigger.SEGMENT_ENTERED:
        segment = config.get("segment")
        if not isinstance(segment, int) or not Segment.objects.filter(pk=segment).exists():
            errors["segment"] = _("Choose a segment.")
    elif trigger == JourneyTrigger.CUSTOM:
        name = config.get("event")
        if not isinstance(name, str) or not name.strip() or len(name) > 60:
            errors["event"] = _("Name the event (at most 60 characters).")
    return errors


def _wait_problems(step: JourneyStep) -> list[Problem]:
    minutes, at = step.config.get("minutes"), step.config.get("at") or ""
    problems = []
    if at:
        try:
            time.fromisoformat(at)
        except (TypeError, ValueError):
            problems.append(Problem(_("“%(step)s”: the time of day is not a time (HH:MM).") % {"step": step_label(step)},
                                    step.pk, "at"))
    if minutes is None and at:
        return problems
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        problems.append(Problem(_("“%(step)s”: a wait must last longer than zero.") % {"step": step_label(step)},
                                step.pk, "minutes"))
    elif minutes > MAX_WAIT_MINUTES:
        problems.append(Problem(_("“%(step)s”: a wait lasts a year at most.") % {"step": step_label(step)},
                                step.pk, "minutes"))
    return problems


def _branch_problems(step: JourneyStep, segments: set[int]) -> list[Problem]:
    condition = step.config.get("condition")
    label = step_label(step)
    if condition not in BranchCondition.values:
        return [Problem(_("“%(step)s”: the branch asks about “%(field)s”, which is not something a branch "
                          "knows.") % {"step": label, "field": condition or "—"}, step.pk, "condition")]
    problems = []
    if condition == BranchCondition.HAS_CONSENT and step.config.get("channel") not in JOURNEY_CHANNELS:
        problems.append(Problem(_("“%(step)s”: choose the channel to ask about.") % {"step": label},
                                step.pk, "channel"))
    if condition == BranchCondition.IN_SEGMENT and step.config.get("segment") not in segments:
        problems.append(Problem(_("“%(step)s”: choose the segment to ask about.") % {"step": label},
                                step.pk, "segment"))
    if step.next_step_id is None and step.else_step_id is None:
        problems.append(Problem(_("“%(step)s”: a branch leads nowhere on either side.") % {"step": label},
                                step.pk, "next_step"))
    return problems


def _send_problems(step: JourneyStep, messages: dict[int, list]) -> list[Problem]:
    from .services import message_lint

    label = step_label(step)
    channel = step.config.get("channel")
    fallback = step.config.get("fallback_channel") or ""
    problems = []
    if channel not in JOURNEY_CHANNELS:
        return [Problem(_("“%(step)s”: choose the channel to send on.") % {"step": label}, step.pk, "channel")]
    if fallback and (fallback not in JOURNEY_CHANNELS or fallback == channel):
        problems.append(Problem(_("“%(step)s”: the fallback must be another channel.") % {"step": label},
                                step.pk, "fallback_channel"))
    hours = step.config.get("fallback_hours")
    if fallback and (not isinstance(hours, int) or isinstance(hours, bool) or not 0 < hours <= 24 * 14):
        problems.append(Problem(_("“%(step)s”: wait 1 to 336 hours before the fallback.") % {"step": label},
                                step.pk, "fallback_hours"))
    own = messages.get(step.campaign_id, []) if step.campaign_id else []
    for needed in [channel, *([fallback] if fallback in JOURNEY_CHANNELS and fallback != channel else [])]:
        on_channel = [m for m in own if m.channel == needed]
        if not on_channel:
            problems.append(Problem(_("“%(step)s”: write the %(channel)s message (there is no content to send).")
                                    % {"step": label, "channel": MessageChannel(needed).label}, step.pk, "content"))
            continue
        for message in on_channel:
            ok, _violations = message_lint(message)
            if not ok:
                problems.append(Problem(_("“%(step)s”: the %(channel)s message (%(language)s) fails the brand "
                                          "check; fix the copy.") % {"step": label,
                                                                     "channel": MessageChannel(needed).label,
                                                                     "language": message.language},
                                        step.pk, "content"))
    return problems


def _offer_problems(step: JourneyStep, now) -> list[Problem]:
    label = step_label(step)
    offer = step.offer
    if offer is None:
        return [Problem(_("“%(step)s”: choose the offer to grant.") % {"step": label}, step.pk, "offer")]
    if not offer.is_active or (offer.ends_at is not None and offer.ends_at <= now):
        return [Problem(_("“%(step)s”: the offer “%(offer)s” has expired.") % {"step": label, "offer": offer.name},
                        step.pk, "offer")]
    if offer.automatic:
        return [Problem(_("“%(step)s”: “%(offer)s” applies without a code; choose an offer with codes.")
                        % {"step": label, "offer": offer.name}, step.pk, "offer")]
    return []


def journey_problems(journey: Journey) -> list[Problem]:
    """Every reason the journey cannot be activated (empty: it can). A few queries whatever its size."""
    now = timezone.now()
    steps = {step.pk: step for step in JourneyStep.objects.filter(journey=journey).select_related("offer")}
    problems = [Problem(message, None, field) for field, message in
                trigger_problems(journey.trigger, journey.trigger_config or {}).items()]
    if journey.goal == JourneyGoal.ORDER_COLLECTED and journey.trigger != JourneyTrigger.READY_FOR_PICKUP:
        problems.append(Problem(_("“The order collected” is a goal of a journey started by an order ready for "
                                  "pickup."), None, "goal"))
    if not steps:
        return [*problems, Problem(_("Add at least one step."), None, "steps")]
    first = steps.get(journey.first_step_id)
    if first is None:
        return [*problems, Problem(_("Choose the first step."), None, "first_step")]
    from .models import CampaignMessage

    messages: dict[int, list] = {}
    for message in CampaignMessage.objects.filter(campaign__journey_step__journey=journey):
        messages.setdefault(message.campaign_id, []).append(message)
    segments = set(Segment.objects.values_list("pk", flat=True)) if any(
        s.kind == StepKind.BRANCH for s in steps.values()) else set()
    # reachability and cycles: a depth-first walk from the first step
    reached: set[int] = set()
    on_path: set[int] = set()
    cycle_at: list[JourneyStep] = []

    def walk(step_id: int) -> None:
        if step_id in on_path:
            cycle_at.append(steps[step_id])
            return
        if step_id in reached:
            return
        reached.add(step_id)
        on_path.add(step_id)
        step = steps[step_id]
        for following in (step.next_step_id, step.else_step_id if step.kind == StepKind.BRANCH else None):
            if following is not None and following in steps:
                walk(following)
        on_path.discard(step_id)

    walk(first.pk)
    for step in cycle_at[:1]:
        problems.append(Problem(_("“%(step)s”: the journey comes back to this step (a loop); a journey must "
                                  "end.") % {"step": step_label(step)}, step.pk, "next_step"))
    for step in steps.values():
        if step.pk not in reached:
            problems.append(Problem(_("“%(step)s”: no way leads to this step.") % {"step": step_label(step)},
                                    step.pk, "steps"))
            continue
        if step.kind == StepKind.WAIT:
            problems += _wait_problems(step)
        elif step.kind == StepKind.BRANCH:
            problems += _branch_problems(step, segments)
        elif step.kind == StepKind.SEND:
            problems += _send_problems(step, messages)
        elif step.kind == StepKind.OFFER:
            problems += _offer_problems(step, now)
    return problems


# --- writing a journey ---------------------------------------------------------------------------

JOURNEY_FIELDS = ("name", "description", "trigger", "trigger_config", "purpose", "goal", "reentry", "reentry_days",
                  "cap_messages", "cap_days")


def _journey_errors(fields: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = [_("Give the journey a name.")]
    if "purpose" in fields and fields["purpose"] not in JourneyPurpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if "goal" in fields and (fields["goal"] or "") not in JourneyGoal.values:
        errors["goal"] = [_("Choose a goal.")]
    if "reentry" in fields and fields["reentry"] not in Reentry.values:
        errors["reentry"] = [_("Choose when a customer may enter again.")]
    for name in ("reentry_days", "cap_days"):
        if name in fields and (not isinstance(fields[name], int) or fields[name] < 1):
            errors[name] = [_("At least one day.")]
    if fields.get("cap_messages") is not None and (not isinstance(fields["cap_messages"], int)
                                                    or fields["cap_messages"] < 1):
        errors["cap_messages"] = [_("At least one message, or empty for no cap.")]
    if "trigger" in fields:
        for name, message in trigger_problems(fields["trigger"], fields.get("trigger_config") or {}).items():
            errors["trigger" if name == "trigger" else f"trigger_config.{name}"] = [message]
    return errors


@transaction.atomic
def journey_create(*, acting_user, name: str, trigger: str, trigger_config: dict | None = None,
                   template: str = "", **fields) -> Journey:
    """A new journey, a draft with no steps."""
    values = {"name": name, "trigger": trigger, "trigger_config": trigger_config or {}, **fields}
    errors = _journey_errors(values)
    if errors:
        raise CampaignInvalid(errors)
    journey = Journey.objects.create(created_by=_user(acting_user), template=template,
                                     **{k: v for k, v in values.items() if k in JOURNEY_FIELDS})
    audit_record(actor=acting_user, action="journey_create", obj=journey, changes={"trigger": trigger})
    return journey


def _require_editable(journey: Journey) -> None:
    if not journey.is_editable:
        raise CampaignError(_("Pause the journey before changing it."))


@transaction.atomic
def journey_update(*, journey: Journey, acting_user, **fields) -> Journey:
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    _require_editable(journey)
    if "trigger" in fields or "trigger_config" in fields:
        fields.setdefault("trigger", journey.trigger)
        fields.setdefault("trigger_config", journey.trigger_config)
    errors = _journey_errors(fields)
    if errors:
        raise CampaignInvalid(errors)
    changed = {}
    for name, value in fields.items():
        if name in JOURNEY_FIELDS and getattr(journey, name) != value:
            changed[name] = str(value)[:80]
            setattr(journey, name, value)
    journey.save()
    if changed:
        audit_record(actor=acting_user, action="journey_update", obj=journey, changes=changed)
    return journey


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def _step_errors(journey: Journey, kind: str, config: dict, offer) -> dict[str, list[str]]:
    """What is refused at once when a step is saved (what is merely unfinished, such as missing
    content, is left to ``journey_problems`` before activation)."""
    errors: dict[str, list[str]] = {}
    if kind not in StepKind.values:
        return {"kind": [_("Choose what the step does.")]}
    probe = JourneyStep(journey=journey, kind=kind, config=config, offer=offer, pk=0)
    if kind == StepKind.WAIT:
        for problem in _wait_problems(probe):
            errors.setdefault(problem.field, []).append(problem.message)
    elif kind == StepKind.BRANCH:
        segments = set(Segment.objects.values_list("pk", flat=True))
        probe.next_step_id = probe.else_step_id = 0  # where it leads is set by the editor
        for problem in _branch_problems(probe, segments):
            errors.setdefault(problem.field, []).append(problem.message)
    elif kind == StepKind.SEND:
        for problem in _send_problems(probe, {}):
            if problem.field != "content":
                errors.setdefault(problem.field, []).append(problem.message)
    elif kind == StepKind.OFFER and offer is not None:
        for problem in _offer_problems(probe, timezone.now()):
            errors.setdefault(problem.field, []).append(problem.message)
    return errors


def _content_campaign(journey: Journey, name: str) -> Campaign:
    """The automated campaign holding a send step's content (never in the campaigns list)."""
    return Campaign.objects.create(name=f"{journey.name} · {name}"[:120], status=CampaignStatus.DRAFT,
                                   created_by=journey.created_by)


@transaction.atomic
def step_add(*, journey: Journey, acting_user, kind: str, name: str = "", config: dict | None = None,
             offer: Offer | None = None, after: JourneyStep | None = None, branch: str = "yes") -> JourneyStep:
    """Add a step. ``after``: the step it follows (on a branch, its ``branch`` side: yes / no);
    what followed it then follows the new step. None: the new step becomes the first, before the
    old first one."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    _require_editable(journey)
    config = dict(config or {})
    name = (name or "").strip()[:80]
    errors = _step_errors(journey, kind, config, offer)
    if after is not None and after.journey_id != journey.pk:
        errors["after"] = [_("That step is in another journey.")]
    if errors:
        raise CampaignInvalid(errors)
    step = JourneyStep.objects.create(journey=journey, kind=kind, name=name, config=config, offer=offer)
    if kind == StepKind.SEND:
        step.campaign = _content_campaign(journey, name or step.get_kind_display())
        step.save(update_fields=["campaign"])
    if after is None:
        step.next_step_id = journey.first_step_id if kind != StepKind.EXIT else None
        journey.first_step = step
        journey.save(update_fields=["first_step", "updated_at"])
    else:
        after = JourneyStep.objects.select_for_update().get(pk=after.pk)
        side = "else_step" if after.kind == StepKind.BRANCH and branch == "no" else "next_step"
        step.next_step_id = getattr(after, f"{side}_id") if kind != StepKind.EXIT else None
        setattr(after, side, step)
        after.save(update_fields=[side])
    if kind == StepKind.BRANCH:
        step.else_step_id = None
    step.save(update_fields=["next_step", "else_step"])
    audit_record(actor=acting_user, action="journey_step_add", obj=journey, changes={"step": step.pk, "kind": kind})
    return step


@transaction.atomic
def step_update(*, step: JourneyStep, acting_user, name: str | None = None, config: dict | None = None,
                offer: Offer | None = None) -> JourneyStep:
    step = JourneyStep.objects.select_for_update().select_related("journey").get(pk=step.pk)
    _require_editable(step.journey)
    config = dict(step.config if config is None else config)
    offer = offer if offer is not None else step.offer
    errors = _step_errors(step.journey, step.kind, config, offer)
    if errors:
        raise CampaignInvalid(errors)
    step.config, step.offer = config, offer
    if name is not None:
        step.name = name.strip()[:80]
        if step.campaign_id:
            Campaign.objects.filter(pk=step.campaign_id).update(
                name=f"{step.journey.name} · {step.name or step.get_kind_display()}"[:120])
    step.save()
    audit_record(actor=acting_user, action="journey_step_update", obj=step.journey, changes={"step": step.pk})
    return step


@transaction.atomic
def step_remove(*, step: JourneyStep, acting_user) -> None:
    """Take a step out: what led to it leads to what followed it ("yes" of a branch). Customers
    waiting at it move on to that step."""
    step = JourneyStep.objects.select_for_update().select_related("journey").get(pk=step.pk)
    journey = Journey.objects.select_for_update().get(pk=step.journey_id)
    _require_editable(journey)
    following = step.next_step_id
    JourneyStep.objects.filter(journey=journey, next_step=step).update(next_step_id=following)
    JourneyStep.objects.filter(journey=journey, else_step=step).update(else_step_id=following)
    if journey.first_step_id == step.pk:
        journey.first_step_id = following
        journey.save(update_fields=["first_step", "updated_at"])
    Enrolment.objects.filter(current_step=step, status=EnrolmentStatus.ACTIVE).update(
        current_step_id=following, state="ready", due_at=timezone.now())
    campaign_id = step.campaign_id
    if step.passes.exists():  # history keeps it (its counts): unlinked and marked, not deleted
        step.next_step, step.else_step = None, None
        step.config = {**step.config, "removed": True}
        step.save(update_fields=["next_step", "else_step", "config"])
    else:
        step.delete()
        if campaign_id:
            Campaign.objects.filter(pk=campaign_id).delete()
    audit_record(actor=acting_user, action="journey_step_remove", obj=journey, changes={"step": step.pk})


@transaction.atomic
def step_link(*, step: JourneyStep, acting_user, next_step: JourneyStep | None = None,
              else_step: JourneyStep | None = None, set_else: bool = False) -> JourneyStep:
    """Point a step at another (a branch's "no" with ``set_else``); a cycle is refused at activation."""
    step = JourneyStep.objects.select_for_update().select_related("journey").get(pk=step.pk)
    _require_editable(step.journey)
    for other in (next_step, else_step):
        if other is not None and other.journey_id != step.journey_id:
            raise CampaignInvalid({"next_step": [_("That step is in another journey.")]})
    if set_else:
        if step.kind != StepKind.BRANCH:
            raise CampaignInvalid({"else_step": [_("Only a branch has a “no” side.")]})
        step.else_step = else_step
    else:
        step.next_step = next_step
    links = {s.pk: {"next": s.next_step_id, "else": s.else_step_id if s.kind == StepKind.BRANCH else None}
             for s in JourneyStep.objects.filter(journey_id=step.journey_id)}
    links[step.pk] = {"next": step.next_step_id, "else": step.else_step_id if step.kind == StepKind.BRANCH else None}
    if _cycle_step(links, step.pk):  # refused at save: a journey must end
        raise CampaignInvalid({"else_step" if set_else else "next_step": [
            _("“%(step)s”: the journey comes back to this step (a loop); a journey must end.")
            % {"step": step_label(step)}]})
    step.save(update_fields=["next_step", "else_step"])
    audit_record(actor=acting_user, action="journey_step_update", obj=step.journey, changes={"step": step.pk})
    return step


def live_steps(journey: Journey) -> list[JourneyStep]:
    return [s for s in JourneyStep.objects.filter(journey=journey).select_related("campaign", "offer")
            if not s.config.get("removed")]


@transaction.atomic
def journey_activate(*, journey: Journey, acting_user) -> Journey:
    """Start (or resume) the journey: refused with every problem named if it is not ready. Its
    send steps' content goes live (their automated campaigns are sending from now on)."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status == JourneyStatus.ACTIVE:
        return journey
    if journey.status == JourneyStatus.ARCHIVED:
        raise CampaignError(_("An archived journey cannot run again; copy it instead."))
    problems = journey_problems(journey)
    if problems:
        raise JourneyNotReady(problems)
    now = timezone.now()
    Campaign.objects.filter(journey_step__journey=journey).update(
        status=CampaignStatus.SENDING, started_at=now, fanned_out_at=now, updated_at=now)
    journey.status, journey.activated_at = JourneyStatus.ACTIVE, journey.activated_at or now
    journey.save(update_fields=["status", "activated_at", "updated_at"])
    audit_record(actor=acting_user, action="journey_activate", obj=journey)
    return journey


@transaction.atomic
def journey_pause(*, journey: Journey, acting_user) -> Journey:
    """Stop moving customers on (they stay where they are) and stop enrolling; content editable."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status != JourneyStatus.ACTIVE:
        raise CampaignError(_("Only an active journey can be paused."))
    Campaign.objects.filter(journey_step__journey=journey).update(status=CampaignStatus.DRAFT,
                                                                  updated_at=timezone.now())
    journey.status = JourneyStatus.PAUSED
    journey.save(update_fields=["status", "updated_at"])
    audit_record(actor=acting_user, action="journey_pause", obj=journey)
    return journey


@transaction.atomic
def journey_archive(*, journey: Journey, acting_user) -> Journey:
    """End the journey for good: everyone still in it leaves."""
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    now = timezone.now()
    Campaign.objects.filter(journey_step__journey=journey).update(status=CampaignStatus.FINISHED, finished_at=now)
    Enrolment.objects.filter(journey=journey, status=EnrolmentStatus.ACTIVE).update(
        status=EnrolmentStatus.EXITED, exit_reason="journey_archived", finished_at=now, due_at=None)
    journey.status = JourneyStatus.ARCHIVED
    journey.save(update_fields=["status", "updated_at"])
    audit_record(actor=acting_user, action="journey_archive", obj=journey)
    return journey


def journey_enrol(*, journey: Journey, customer: Customer, acting_user, context: dict | None = None) -> Enrolment:
    """Put one customer into an active journey by hand (staff, the API): the same rules as a
    trigger (re-entry, one at a time). Refused with the reason when they may not enter."""
    from .journey_engine import enrol

    journey = Journey.objects.get(pk=journey.pk)  # its status now, not as the caller last read it
    if journey.status != JourneyStatus.ACTIVE:
        raise CampaignError(_("Only an active journey takes customers in."))
    key = f"manual:{customer.pk}:{timezone.now().timestamp():.6f}"
    made = enrol(journey, [(customer.pk, key, "", dict(context or {}), timezone.now())])
    if not made:
        raise CampaignError(_("This customer cannot enter the journey now (already in it, or re-entry does "
                              "not allow it yet)."))
    enrolment = Enrolment.objects.get(journey=journey, trigger_key=key)
    audit_record(actor=acting_user, action="journey_enrol", obj=journey, changes={"enrolment": enrolment.pk})
    return enrolment


@transaction.atomic
def journey_event_record(*, customer: Customer, name: str, data: dict | None = None, acting_user=None):
    """A customer did something another system tells about by name (``app_installed``): the
    journeys whose trigger is that custom event start on it (``campaigns.custom_event`` in the
    outbox). Refused with the field named when the name is empty or too long."""
    from kernel.events import publish

    from .domain_events import CUSTOM_EVENT, CustomEvent

    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 60:
        raise CampaignInvalid({"name": [_("Name the event (at most 60 characters).")]})
    if customer.erased_at is not None:
        raise CampaignInvalid({"customer": [_("No such customer.")]})
    return publish(CUSTOM_EVENT, payload=CustomEvent(customer_id=customer.pk, name=name, data=dict(data or {})),
                   subject=f"journey-event:{name}"[:120], actor=acting_user)


# --- figures --------------------------------------------------------------------------------------

def step_counts(journey: Journey) -> dict[int, dict[str, int]]:
    """Per step: customers there now (``at``) and who went through it (``passed``) and how
    (outcomes such as sent, capped, no). Two queries."""
    counts: dict[int, dict[str, int]] = {}
    for row in (Enrolment.objects.filter(journey=journey, status=EnrolmentStatus.ACTIVE)
                .values("current_step").annotate(n=Count("pk")).order_by()):
        counts.setdefault(row["current_step"], {})["at"] = row["n"]
    for row in (EnrolmentStep.objects.filter(step__journey=journey).values("step", "outcome")
                .annotate(n=Count("pk")).order_by()):
        bucket = counts.setdefault(row["step"], {})
        bucket["passed"] = bucket.get("passed", 0) + row["n"]
        if row["outcome"]:
            bucket[row["outcome"]] = bucket.get(row["outcome"], 0) + row["n"]
    return counts


def journey_stats(journey: Journey) -> dict:
    """The journey's figures: enrolments by status, and its messages sent/opened/clicked/converted
    and revenue (its send steps' campaigns). A few queries."""
    by_status = dict(Enrolment.objects.filter(journey=journey).values_list("status").annotate(n=Count("pk"))
                     .order_by())
    from .models import CampaignRecipient, RecipientStatus
    from .models_tracking import CampaignConversion

    messages = CampaignRecipient.objects.filter(campaign__journey_step__journey=journey).aggregate(
        sent=Count("pk", filter=Q(status=RecipientStatus.SENT)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        skipped=Count("pk", filter=Q(status=RecipientStatus.SKIPPED)))
    from django.db.models import Sum

    conversions = CampaignConversion.objects.filter(campaign__journey_step__journey=journey).aggregate(
        converted=Count("pk"), revenue=Sum("revenue"))
    return {"enrolments": {status: by_status.get(status, 0) for status in EnrolmentStatus.values},
            **messages, "converted": conversions["converted"] or 0, "revenue": conversions["revenue"] or 0}


JOURNEY_AUDIT_ACTIONS = {
    "journey_create": gettext_lazy("Journey created"),
    "journey_update": gettext_lazy("Journey changed"),
    "journey_step_add": gettext_lazy("Journey step added"),
    "journey_step_update": gettext_lazy("Journey step changed"),
    "journey_step_remove": gettext_lazy("Journey step removed"),
    "journey_activate": gettext_lazy("Journey activated"),
    "journey_pause": gettext_lazy("Journey paused"),
    "journey_archive": gettext_lazy("Journey archived"),
    "journey_enrol": gettext_lazy("Customer put into a journey"),
}



def duration_text(minutes: int) -> str:
    from django.utils.translation import ngettext

    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes or 0) % {"n": minutes or 0}


def step_summary(step: JourneyStep, segment_names: dict | None = None) -> str:
    """One line saying what the step does, for the flow."""
    config = step.config or {}
    if step.kind == StepKind.WAIT:
        text = _("Wait %(duration)s") % {"duration": duration_text(config.get("minutes") or 0)} \
            if config.get("minutes") else ""
        if config.get("at"):
            text = (text + " · " if text else "") + _("until %(time)s in their time") % {"time": config["at"]}
        return text
    if step.kind == StepKind.BRANCH:
        condition = config.get("condition")
        label = str(BranchCondition(condition).label) if condition in BranchCondition.values else str(condition)
        if condition == BranchCondition.HAS_CONSENT and config.get("channel") in MessageChannel.values:
            label += f" ({MessageChannel(config['channel']).label})"
        if condition == BranchCondition.IN_SEGMENT:
            label += f" ({(segment_names or {}).get(config.get('segment'), '—')})"
        return label + "?"
    if step.kind == StepKind.SEND:
        channel = config.get("channel")
        text = str(MessageChannel(channel).label) if channel in MessageChannel.values else ""
        fallback = config.get("fallback_channel")
        if fallback in MessageChannel.values:
            text += " · " + _("not opened in %(hours)s h → %(channel)s") % {
                "hours": config.get("fallback_hours"), "channel": MessageChannel(fallback).label}
        return text
    if step.kind == StepKind.OFFER:
        return step.offer.name if step.offer_id and step.offer else ""
    return _("Leaves the journey")


# --- a whole journey at once (the API) -------------------------------------------------------------

def _cycle_step(steps: dict[str, dict], first: str) -> str | None:
    """The key of a step a walk from ``first`` comes back to (None: no loop)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(key: str) -> str | None:
        if state.get(key) == 1:
            return key
        if state.get(key) == 2 or key not in steps:
            return None
        state[key] = 1
        for following in (steps[key].get("next"), steps[key].get("else")):
            if following:
                found = visit(following)
                if found:
                    return found
        state[key] = 2
        return None

    return visit(first)


@transaction.atomic
def journey_define(*, acting_user, definition: dict, journey: Journey | None = None) -> Journey:
    """A journey written whole (the API): its settings and its steps by key, each with where it
    leads (``next``; a branch's ``else``) and a send step's ``messages``. Refused as a whole, with
    every bad step named (``steps.<n>.<field>``), when a step points at a key that is not there,
    the steps loop, a wait is zero or less, a branch asks about an unknown field, or a message's
    copy fails the brand check; nothing is saved then. ``journey``: a draft or paused journey whose
    steps are replaced (refused once customers have gone through it)."""
    settings_fields = {name: definition[name] for name in JOURNEY_FIELDS if name in definition}
    specs = list(definition.get("steps") or [])
    errors: dict[str, list[str]] = {}
    keys = [str(spec.get("key") or f"s{n + 1}") for n, spec in enumerate(specs)]
    by_key: dict[str, dict] = {}
    for n, (key, spec) in enumerate(zip(keys, specs, strict=True)):
        if key in by_key:
            errors[f"steps.{n}.key"] = [_("Step key “%(key)s” is used twice.") % {"key": key}]
        by_key[key] = spec
    for n, (key, spec) in enumerate(zip(keys, specs, strict=True)):
        for side in ("next", "else"):
            target = spec.get(side)
            if target and target not in by_key:
                errors[f"steps.{n}.{side}"] = [_("“%(step)s” leads to “%(target)s”, which is not a step.")
                                               % {"step": spec.get("name") or key, "target": target}]
    first = definition.get("first") or (keys[0] if keys else None)
    if first and first not in by_key:
        errors["first"] = [_("“%(target)s” is not a step.") % {"target": first}]
    if not errors and first:
        looped = _cycle_step({k: {"next": v.get("next"), "else": v.get("else")} for k, v in by_key.items()}, first)
        if looped:
            n = keys.index(looped)
            errors[f"steps.{n}.next"] = [_("“%(step)s”: the journey comes back to this step (a loop); a journey "
                                           "must end.") % {"step": by_key[looped].get("name") or looped}]
    if errors:
        raise CampaignInvalid(errors)
    if journey is None:
        journey = journey_create(acting_user=acting_user, **{"name": definition.get("name", ""),
                                                             "trigger": definition.get("trigger", ""),
                                                             "trigger_config": definition.get("trigger_config") or {},
                                                             **{k: v for k, v in settings_fields.items()
                                                                if k not in ("name", "trigger", "trigger_config")}})
    else:
        journey = Journey.objects.select_for_update().get(pk=journey.pk)
        _require_editable(journey)
        if Enrolment.objects.filter(journey=journey).exists():
            raise CampaignError(_("Customers have gone through this journey: change its steps one by one."))
        journey_update(journey=journey, acting_user=acting_user, **settings_fields)
        old = list(JourneyStep.objects.filter(journey=journey))
        Journey.objects.filter(pk=journey.pk).update(first_step=None)
        JourneyStep.objects.filter(journey=journey).update(next_step=None, else_step=None)
        contents = [s.campaign_id for s in old if s.campaign_id]
        JourneyStep.objects.filter(journey=journey).delete()
        Campaign.objects.filter(pk__in=contents).delete()
    made: dict[str, JourneyStep] = {}
    from .services import message_set

    offers = {o.pk: o for o in Offer.objects.filter(pk__in=[s.get("offer") for s in specs if s.get("offer")])}
    for n, (key, spec) in enumerate(zip(keys, specs, strict=True)):
        kind = spec.get("kind", "")
        config = dict(spec.get("config") or {})
        offer = offers.get(spec.get("offer")) if spec.get("offer") else None
        label = (spec.get("name") or "").strip()[:80]
        step_errors = _step_errors(journey, kind, config, offer)
        if kind == StepKind.OFFER and offer is None:
            step_errors["offer"] = [_("“%(step)s”: choose the offer to grant.") % {"step": label or key}]
        for field, messages in step_errors.items():
            errors[f"steps.{n}.{field}"] = [m if m.startswith("“") else f"“{label or key}”: {m}" for m in messages]
        if step_errors:
            continue
        step = JourneyStep.objects.create(journey=journey, kind=kind, name=label, config=config, offer=offer)
        if kind == StepKind.SEND:
            step.campaign = _content_campaign(journey, label or step.get_kind_display())
            step.save(update_fields=["campaign"])
            for m, message in enumerate(spec.get("messages") or []):
                try:
                    message_set(campaign=step.campaign, acting_user=acting_user, **{
                        name: message[name] for name in ("channel", "language", "subject", "body", "preheader",
                                                          "cta_label", "cta_url") if name in message})
                except CampaignInvalid as exc:
                    for field, messages in exc.errors.items():
                        errors[f"steps.{n}.messages.{m}.{field}"] = [f"“{label or key}”: {text}" for text in messages]
        made[key] = step
    if errors:
        raise CampaignInvalid(errors)
    for key, spec in by_key.items():
        step = made[key]
        step.next_step = made.get(spec.get("next")) if step.kind != StepKind.EXIT else None
        step.else_step = made.get(spec.get("else")) if step.kind == StepKind.BRANCH else None
        step.save(update_fields=["next_step", "else_step"])
    journey.first_step = made.get(first) if first else None
    journey.save(update_fields=["first_step", "updated_at"])
    audit_record(actor=acting_user, action="journey_update", obj=journey, changes={"steps": len(made)})
    return journey
