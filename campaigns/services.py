"""Every write of a campaign's life: create and edit, messages, submit, approve, start, cancel, test.

The rules that decide whether a campaign may go out live in ``campaign_problems`` (checked when
it is submitted and again when it starts): at least one message, an audience, copy that passes
the brand kit's check (or a recorded override), and what Japan's Act on Specified Electronic Mail
(特定電子メール法) asks of a marketing email or SMS: the sender's name and address (the opt-out
link is part of every message's layout, and only customers with a recorded opt-in receive it —
enforced per recipient when sending, campaigns.sending).
"""

from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from brandkit import services as brandkit_services
from brandkit.theme import theme
from customers.models import Customer, Segment
from customers.segments import segment_condition
from kernel.audit import audit_record

from .errors import CampaignError, CampaignInvalid, CampaignNotReady
from .journeys import JOURNEY_AUDIT_ACTIONS
from .models import (
    EDITABLE_STATUSES,
    LINT_CHANNEL,
    Campaign,
    CampaignMessage,
    CampaignStatus,
    MessageChannel,
    Objective,
    SendingPolicy,
)
from .offers import OFFER_AUDIT_ACTIONS
from .rendering import template_errors

SMS_MAX = 670  # characters of a long Japanese SMS (10 segments of 67)
LEGAL_CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS)  # 特定電子メール法


# --- reads the services share -----------------------------------------------------------------

def sending_policy() -> SendingPolicy:
    policy = SendingPolicy.objects.order_by("pk").first()
    return policy if policy is not None else SendingPolicy.objects.create()


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    contact: str


def sender_identity(policy: SendingPolicy | None = None) -> Sender:
    """Who every marketing message names as its sender: the sending policy, else the brand kit."""
    policy = policy or sending_policy()
    brand = theme()
    return Sender(name=(policy.sender_name or brand.legal_name or "").strip(),
                  address=(policy.sender_address or brand.legal_footer or "").strip(),
                  contact=(policy.contact or settings.DEFAULT_FROM_EMAIL or "").strip())


def audience_of(included: list[Segment], excluded: list[Segment], *, now: datetime | None = None):
    """Customers in any of ``included``, in none of ``excluded``, not erased (one query)."""
    if not included:
        return Customer.objects.none()
    condition = segment_condition(included[0], now=now)
    for segment in included[1:]:
        condition |= segment_condition(segment, now=now)
    customers = Customer.objects.filter(condition, erased_at__isnull=True)
    for segment in excluded:
        customers = customers.exclude(segment_condition(segment, now=now))
    return customers


def audience_customers(campaign: Campaign, *, now: datetime | None = None):
    """The campaign's audience now (``audience_of`` its segments and exclusions)."""
    return audience_of(list(campaign.segments.all()), list(campaign.excluded_segments.all()), now=now)


def message_lint(message: CampaignMessage, *, record: str = ""):
    """The brand kit's check of a message's copy: the subject and body as written, and for an
    email the parts its layout always adds (the opt-out link and the legal footer), so the kit's
    required elements are checked on the email as it goes out (and on a postcard, which always
    prints the company's name and address). An SMS's signature, sender and
    opt-out link are added after the check: the kit's length limit applies to the copy."""
    parts = [message.subject, message.body]
    if message.channel == MessageChannel.EMAIL:
        parts += ["{{ unsubscribe_url }}", theme().legal_footer]
    elif message.channel == MessageChannel.POSTCARD:
        parts.append(theme().legal_footer)  # printed on every card (campaigns.printing)
    text = "\n".join(part for part in parts if part)
    if record:
        return brandkit_services.lint_for_send(text, LINT_CHANNEL[message.channel], message.language, source=record)
    violations = brandkit_services.lint(text, LINT_CHANNEL[message.channel], message.language)
    return not brandkit_services.blocking(violations), violations


def campaign_problems(campaign: Campaign, *, record_lint: str = "", lint: dict | None = None) -> list[str]:
    """Why the campaign cannot go out as it stands (empty: it can). ``lint``: each message's
    ``message_lint`` result by message id, when the caller has it already."""
    problems: list[str] = []
    messages = list(campaign.messages.all())
    if not messages:
        problems.append(_("Write at least one message."))
    if not campaign.segments.exists():
        problems.append(_("Choose the audience: at least one segment."))
    elif not audience_customers(campaign).exists():
        problems.append(_("The audience is empty: no customer is in its segments now (or all are excluded)."))
    if any(m.channel in LEGAL_CHANNELS for m in messages):
        sender = sender_identity()
        if not sender.name:
            problems.append(_("The sender's name is missing (特定電子メール法): set it in the sending policy or "
                              "the brand kit's legal name."))
        if not sender.address:
            problems.append(_("The sender's address is missing (特定電子メール法): set it in the sending policy or "
                              "the brand kit's legal footer."))
    blocked = []
    for message in messages:
        ok, _violations = lint[message.pk] if lint and message.pk in lint else message_lint(message, record=record_lint)
        if not ok:
            blocked.append(message)
    if blocked and not campaign.lint_override_reason:
        names = ", ".join(f"{m.get_channel_display()} ({m.language})" for m in blocked)
        problems.append(_("The brand check found errors in: %(messages)s. Fix the copy, or send anyway with a "
                          "reason.") % {"messages": names})
    if campaign.send_at and campaign.ends_at and campaign.ends_at <= campaign.send_at:
        problems.append(_("The campaign ends before it is sent."))
    from .abtests import abtest_problems  # (abtests builds on this module)

    problems += abtest_problems(campaign)
    return problems


# --- campaign -----------------------------------------------------------------------------------

CAMPAIGN_FIELDS = ("name", "objective", "send_at", "ends_at", "quiet_start", "quiet_end", "utm_campaign")


def _clean_campaign(fields: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "name" in fields and not str(fields["name"] or "").strip():
        errors["name"] = [_("Give the campaign a name.")]
    if "objective" in fields and fields["objective"] not in Objective.values:
        errors["objective"] = [_("Choose an objective.")]
    start, end = fields.get("quiet_start"), fields.get("quiet_end")
    if (start is None) != (end is None):
        errors["quiet_end"] = [_("Give both ends of the quiet hours, or neither.")]
    for name in ("quiet_start", "quiet_end"):
        if fields.get(name) is not None and not isinstance(fields[name], time):
            errors[name] = [_("Enter a time.")]
    send_at = fields.get("send_at")
    if send_at is not None and send_at < timezone.now() - timezone.timedelta(minutes=1):
        errors["send_at"] = [_("The sending time is in the past.")]
    return errors


def _set_segments(campaign: Campaign, segments, excluded) -> None:
    if segments is not None:
        campaign.segments.set(list(segments))
    if excluded is not None:
        campaign.excluded_segments.set(list(excluded))
    overlap = set(campaign.segments.values_list("pk", flat=True)) & set(
        campaign.excluded_segments.values_list("pk", flat=True))
    if overlap:
        raise CampaignInvalid({"excluded_segments": [_("A segment cannot be both the audience and excluded.")]})


@transaction.atomic
def campaign_create(*, name: str, acting_user, objective: str = Objective.SALES,
                    segments: list[Segment] | None = None, excluded_segments: list[Segment] | None = None,
                    **fields) -> Campaign:
    """A new draft campaign written by ``acting_user``."""
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    values = {"name": (name or "").strip(), "objective": objective, **fields}
    errors = _clean_campaign({"quiet_start": Campaign._meta.get_field("quiet_start").get_default(),
                              "quiet_end": Campaign._meta.get_field("quiet_end").get_default(), **values})
    if errors:
        raise CampaignInvalid(errors)
    campaign = Campaign.objects.create(created_by=_user(acting_user), **values)
    _set_segments(campaign, segments, excluded_segments)
    audit_record(actor=acting_user, action="campaign_create", obj=campaign, changes={"name": campaign.name})
    return campaign


def _require_editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE_STATUSES:
        raise CampaignError(_("A campaign that was approved cannot be edited any more; cancel it and copy it."))


def _back_to_draft(campaign: Campaign) -> None:
    """An edit of a campaign waiting for approval sends it back to its author's draft."""
    if campaign.status == CampaignStatus.PENDING_APPROVAL:
        campaign.status = CampaignStatus.DRAFT
        campaign.submitted_at = None


@transaction.atomic
def campaign_update(*, campaign: Campaign, acting_user, segments: list[Segment] | None = None,
                    excluded_segments: list[Segment] | None = None, **fields) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_editable(campaign)
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    merged = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS} | fields
    if "send_at" not in fields:
        merged.pop("send_at")  # a time already set is not re-checked against now
    errors = _clean_campaign(merged)
    if errors:
        raise CampaignInvalid(errors)
    changes = {name: [str(getattr(campaign, name)), str(value)] for name, value in fields.items()
               if getattr(campaign, name) != value}
    for name, value in fields.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    _back_to_draft(campaign)
    campaign.save()
    _set_segments(campaign, segments, excluded_segments)
    audit_record(actor=acting_user, action="campaign_update", obj=campaign, changes=changes)
    return campaign


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


# --- messages -----------------------------------------------------------------------------------

def _clean_url(url: str) -> str | None:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if url.startswith("/") and not url.startswith("//"):
        return url
    if parts.scheme == "https" and parts.netloc:
        return url
    return None


@transaction.atomic
def message_set(*, campaign: Campaign, channel: str, language: str, body: str, acting_user, subject: str = "",
                preheader: str = "", cta_label: str = "", cta_url: str = "",
                include_recommendations: bool = False) -> CampaignMessage:
    """Write (or rewrite) the campaign's message on ``channel`` in ``language``. Broken template
    syntax or an unknown merge field is refused with the line named."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_editable(campaign)
    errors: dict[str, list[str]] = {}
    if channel not in MessageChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose a language.")]
    body = (body or "").strip()
    if not body:
        errors["body"] = [_("Write the message.")]
    for name, text in (("subject", subject), ("preheader", preheader), ("body", body)):
        problems = template_errors(text or "")
        if problems:
            errors[name] = [str(p) for p in problems]
    if channel == MessageChannel.EMAIL and not (subject or "").strip():
        errors["subject"] = [_("An email needs a subject.")]
    if channel in (MessageChannel.SMS, MessageChannel.LINE) and len(body) > SMS_MAX:
        errors["body"] = [_("At most %(n)s characters (this is %(length)s).") % {"n": SMS_MAX, "length": len(body)}]
    clean_url = _clean_url(cta_url)
    if clean_url is None:
        errors["cta_url"] = [_("Use a path on the shop (/products/…) or a full https:// address.")]
    if cta_label and not clean_url:
        errors.setdefault("cta_url", []).append(_("A button needs a link."))
    if not errors and hasattr(campaign, "journey_step"):
        # a journey's message goes out on its own, with no one to approve it: copy the brand check
        # refuses is refused here, at save (a campaign's can be sent anyway with a reason)
        probe = CampaignMessage(campaign=campaign, channel=channel, language=language, subject=subject or "",
                                body=body)
        ok, violations = message_lint(probe)
        if not ok:
            step = campaign.journey_step
            errors["body"] = [_("“%(step)s”: the brand check refuses this copy: %(problems)s") % {
                "step": step.name or step.get_kind_display(),
                "problems": "; ".join(str(v.message) for v in violations if getattr(v, "severity", "") == "error")
                or "; ".join(str(getattr(v, "message", v)) for v in violations)}]
    if errors:
        raise CampaignInvalid(errors)
    message, created = CampaignMessage.objects.update_or_create(
        campaign=campaign, channel=channel, language=language,
        defaults={"subject": (subject or "").strip(), "preheader": (preheader or "").strip(), "body": body,
                  "cta_label": (cta_label or "").strip(), "cta_url": clean_url,
                  "include_recommendations": include_recommendations})
    _back_to_draft(campaign)
    campaign.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=acting_user, action="campaign_message_set", obj=campaign,
                 changes={"message": f"{channel}/{language}", "created": created})
    return message


@transaction.atomic
def message_delete(*, message: CampaignMessage, acting_user) -> None:
    campaign = Campaign.objects.select_for_update().get(pk=message.campaign_id)
    _require_editable(campaign)
    label = f"{message.channel}/{message.language}"
    message.delete()
    _back_to_draft(campaign)
    campaign.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=acting_user, action="campaign_message_delete", obj=campaign, changes={"message": label})


# --- approval -----------------------------------------------------------------------------------

@transaction.atomic
def campaign_lint_override(*, campaign: Campaign, reason: str, acting_user) -> Campaign:
    """Send despite the brand check's errors, for a reason that is recorded (empty: withdraw it)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_editable(campaign)
    reason = (reason or "").strip()
    campaign.lint_override_reason = reason
    campaign.lint_override_by = _user(acting_user) if reason else None
    _back_to_draft(campaign)
    campaign.save()
    audit_record(actor=acting_user, action="campaign_lint_override", obj=campaign, changes={"reason": reason})
    return campaign


@transaction.atomic
def campaign_submit(*, campaign: Campaign, acting_user) -> Campaign:
    """Ask a second marketer to approve the campaign."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if hasattr(campaign, "journey_step"):
        raise CampaignError(_("This is a journey's message: it goes out when the journey is activated."))
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError(_("Only a draft can be submitted for approval."))
    problems = campaign_problems(campaign)
    if problems:
        raise CampaignNotReady(problems)
    campaign.status = CampaignStatus.PENDING_APPROVAL
    campaign.submitted_at = timezone.now()
    campaign.save()
    audit_record(actor=acting_user, action="campaign_submit", obj=campaign)
    return campaign


@transaction.atomic
def campaign_approve(*, campaign: Campaign, acting_user) -> Campaign:
    """A second HQ user approves: never the author."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.PENDING_APPROVAL:
        raise CampaignError(_("Only a campaign waiting for approval can be approved."))
    if acting_user is None or not acting_user.is_authenticated:
        raise CampaignError(_("An approval needs a signed-in marketer."))
    if campaign.created_by_id == acting_user.pk:
        raise CampaignError(_("The author cannot approve their own campaign: ask another marketer."))
    problems = campaign_problems(campaign)
    if problems:
        raise CampaignNotReady(problems)
    campaign.status = CampaignStatus.APPROVED
    campaign.approved_by = acting_user
    campaign.approved_at = timezone.now()
    campaign.save()
    audit_record(actor=acting_user, action="campaign_approve", obj=campaign)
    return campaign


@transaction.atomic
def campaign_reject(*, campaign: Campaign, acting_user, note: str = "") -> Campaign:
    """Send a campaign waiting for approval back to its author with a note."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.PENDING_APPROVAL:
        raise CampaignError(_("Only a campaign waiting for approval can be sent back."))
    campaign.status = CampaignStatus.DRAFT
    campaign.submitted_at = None
    campaign.save()
    audit_record(actor=acting_user, action="campaign_reject", obj=campaign, changes={"note": note.strip()[:500]})
    return campaign


@transaction.atomic
def campaign_start(*, campaign: Campaign, acting_user) -> Campaign:
    """Start an approved campaign: at once, or at its sending time (scheduled). The checks run
    again (the brand kit or the sending policy may have changed since the approval) and the
    brand check is recorded for the channel's consistency score."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != CampaignStatus.APPROVED:
        raise CampaignError(_("Only an approved campaign can be started."))
    problems = campaign_problems(campaign, record_lint="campaign")
    if problems:
        raise CampaignNotReady(problems)
    now = timezone.now()
    if campaign.send_at and campaign.send_at > now:
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save()
        audit_record(actor=acting_user, action="campaign_schedule", obj=campaign,
                     changes={"send_at": campaign.send_at.isoformat()})
        return campaign
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = now
    campaign.save()
    audit_record(actor=acting_user, action="campaign_start", obj=campaign)
    campaign_id = campaign.pk
    transaction.on_commit(lambda: _queue_fan_out(campaign_id))
    return campaign


def _queue_fan_out(campaign_id: int) -> None:
    from django_q.tasks import async_task

    async_task("campaigns.sending.campaign_fan_out", campaign_id, task_name=f"campaign-{campaign_id}-fan-out")


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, acting_user) -> Campaign:
    """Stop a campaign before it finishes: recipients not sent yet are skipped (cancelled);
    messages already handed to a transport stay sent."""
    from .models import CampaignRecipient, RecipientStatus, SkipReason

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED):
        raise CampaignError(_("The campaign has already ended."))
    previous = campaign.status
    campaign.status = CampaignStatus.CANCELLED
    campaign.cancelled_at = timezone.now()
    campaign.cancelled_by = _user(acting_user)
    campaign.save()
    skipped = CampaignRecipient.objects.filter(
        campaign=campaign, status__in=(RecipientStatus.PENDING, RecipientStatus.RESERVED)).update(
        status=RecipientStatus.SKIPPED, reason=SkipReason.CANCELLED)
    from .models_abtest import ABStatus, ABTest

    ABTest.objects.filter(campaign=campaign, status__in=(ABStatus.DRAFT, ABStatus.TESTING)).update(
        status=ABStatus.CANCELLED)
    audit_record(actor=acting_user, action="campaign_cancel", obj=campaign,
                 changes={"status": [previous, CampaignStatus.CANCELLED], "skipped": skipped})
    return campaign


@transaction.atomic
def sending_policy_update(*, acting_user, **fields) -> SendingPolicy:
    policy = sending_policy()
    allowed = {"frequency_cap", "frequency_days", "sender_name", "sender_address", "contact"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown policy fields: {sorted(unknown)}")
    errors = {}
    if "frequency_days" in fields and not (1 <= int(fields["frequency_days"]) <= 365):
        errors["frequency_days"] = [_("Between 1 and 365 days.")]
    if "frequency_cap" in fields and not (1 <= int(fields["frequency_cap"]) <= 100):
        errors["frequency_cap"] = [_("Between 1 and 100 messages.")]
    if errors:
        raise CampaignInvalid(errors)
    changes = {k: [str(getattr(policy, k)), str(v)] for k, v in fields.items() if getattr(policy, k) != v}
    for name, value in fields.items():
        setattr(policy, name, value.strip() if isinstance(value, str) else value)
    policy.save()
    audit_record(actor=acting_user, action="sending_policy_update", obj=policy, changes=changes)
    return policy


AUDIT_ACTIONS = {
    **OFFER_AUDIT_ACTIONS,
    **JOURNEY_AUDIT_ACTIONS,
    "campaign_create": gettext_lazy("Campaign created"),
    "campaign_update": gettext_lazy("Campaign edited"),
    "campaign_message_set": gettext_lazy("Campaign message written"),
    "campaign_message_delete": gettext_lazy("Campaign message removed"),
    "campaign_lint_override": gettext_lazy("Brand check overridden with a reason"),
    "campaign_submit": gettext_lazy("Campaign submitted for approval"),
    "campaign_approve": gettext_lazy("Campaign approved"),
    "campaign_reject": gettext_lazy("Campaign sent back to its author"),
    "campaign_schedule": gettext_lazy("Campaign scheduled"),
    "campaign_start": gettext_lazy("Campaign sending started"),
    "campaign_cancel": gettext_lazy("Campaign cancelled"),
    "campaign_test_send": gettext_lazy("Campaign test sent to staff"),
    "campaign_print": gettext_lazy("Campaign postcards, POP or social card made"),
    "sending_policy_update": gettext_lazy("Sending policy changed"),
    "suppression_add": gettext_lazy("Address added to the suppression list"),
    "suppression_remove": gettext_lazy("Address removed from the suppression list"),
    "campaign_abtest_save": gettext_lazy("A/B test set up"),
    "campaign_abtest_remove": gettext_lazy("A/B test removed"),
    "campaign_abtest_winner": gettext_lazy("A/B test winner sent to the rest"),
    "channel_cost_save": gettext_lazy("Channel cost entered"),
    "channel_cost_delete": gettext_lazy("Channel cost removed"),
}
