"""Campaigns: one message to an audience on one or more channels, approved by a second marketer,
sent once per recipient through the delivery ledger, and measured.

A campaign moves ``draft → pending approval → approved → (scheduled) → sending → finished``
(or ``cancelled`` before it finishes); every move is a service in ``campaigns.services``.
Its recipients are materialised in one INSERT … SELECT when sending starts
(``CampaignRecipient``, one row per customer and channel), and each row ends ``sent``,
``skipped`` (with the reason) or ``failed`` (with the error): the campaign is finished only
when none is pending.
"""

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import PICKUP_CODE_ALPHABET


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
    PENDING_APPROVAL = "pending", pgettext_lazy("campaign status", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("campaign status", "Approved")
    SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
    SENDING = "sending", pgettext_lazy("campaign status", "Sending")
    FINISHED = "finished", pgettext_lazy("campaign status", "Finished")
    CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")


EDITABLE_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.PENDING_APPROVAL)
LIVE_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING)


class Objective(models.TextChoices):
    SALES = "sales", _("Sales")
    STORE_VISITS = "store_visits", _("Store visits")
    AWARENESS = "awareness", _("Awareness")
    RETENTION = "retention", _("Retention")
    WIN_BACK = "win_back", _("Win back")
    LAUNCH = "launch", _("Product launch")


class MessageChannel(models.TextChoices):
    """Where a campaign's message goes. Email, SMS and LINE are sent to each recipient; on-site
    is shown to them on the storefront; postcards are printed per recipient; in-store POP and
    social posts are made once for everyone."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")
    ONSITE = "onsite", _("On-site banner")
    POSTCARD = "postcard", _("Direct-mail postcard")
    POP = "pop", _("In-store POP")
    SOCIAL = "social", _("Social post")


# Channels that reach each recipient with their own message (a delivery per recipient).
SENT_CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS, MessageChannel.LINE)
# Channels whose audience is each recipient (consent applies) but no transport sends anything.
PERSONAL_CHANNELS = (*SENT_CHANNELS, MessageChannel.ONSITE, MessageChannel.POSTCARD)
# The consent ledger's channel and purpose each personal channel needs (customers.consent).
CONSENT_FOR_CHANNEL = {
    MessageChannel.EMAIL: ("email", "marketing"),
    MessageChannel.SMS: ("sms", "marketing"),
    MessageChannel.LINE: ("line", "marketing"),
    MessageChannel.POSTCARD: ("postal", "marketing"),
    MessageChannel.ONSITE: ("web", "personalisation"),
}
# The brand kit channel whose rules lint each message channel's copy (brandkit.models.Channel).
LINT_CHANNEL = {
    MessageChannel.EMAIL: "email",
    MessageChannel.SMS: "sms",
    MessageChannel.LINE: "sms",
    MessageChannel.ONSITE: "web",
    MessageChannel.POSTCARD: "postcard",
    MessageChannel.POP: "pop",
    MessageChannel.SOCIAL: "social",
}


def default_quiet_start() -> time:
    return time(21, 0)


def default_quiet_end() -> time:
    return time(8, 0)


class CampaignQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status__in=LIVE_STATUSES)


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=120)
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices, default=Objective.SALES)
    status = models.CharField(_("status"), max_length=12, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT, db_index=True)
    segments = models.ManyToManyField("customers.Segment", verbose_name=_("audience"), blank=True,
                                      related_name="campaigns",
                                      help_text=_("Customers in any of these segments receive it."))
    excluded_segments = models.ManyToManyField(
        "customers.Segment", verbose_name=_("excluded"), blank=True, related_name="excluded_from_campaigns",
        help_text=_("Customers in any of these segments never receive it."))
    send_at = models.DateTimeField(_("send at"), null=True, blank=True,
                                   help_text=_("Empty: as soon as it is started."))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True,
                                   help_text=_("On-site banners stop showing and the campaign's offers end then."))
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True, default=default_quiet_start)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True, default=default_quiet_end)
    utm_campaign = models.SlugField(_("UTM campaign"), max_length=60, blank=True,
                                    help_text=_("Added to every link of the campaign (utm_campaign)."))
    code = models.CharField(_("campaign code"), max_length=12, unique=True, editable=False,
                            help_text=_("Printed on postcards and POP: how offline reach is counted."))
    lint_override_reason = models.TextField(_("reason for sending despite the brand check"), blank=True)
    lint_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # the audience as materialised when sending started (recipients enqueued so far)
    recipients_total = models.PositiveIntegerField(default=0)
    fanned_out_at = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text=_("When its recipients were all written and their batches queued."))
    requeued_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text=_("When the clock last queued again batches a lost task left pending."))
    # When a batch of this campaign last finished: the clock queues again the pending recipients of
    # a campaign whose batches stopped finishing (a killed worker's task a broker does not hand over)
    batch_done_at = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text=_("When a batch of this campaign last finished."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_campaign", _("Can approve a campaign another marketer wrote")),
            ("send_campaign", _("Can start, schedule and cancel a campaign")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("created_by")),
                name="campaign_not_approved_by_author"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = new_campaign_code()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        # (a journey's message campaign: its detail page sends the browser on to the journey's flow)
        return reverse("console:campaign_detail", kwargs={"pk": self.pk})

    @property
    def journey_step_or_none(self):
        try:
            return self.journey_step
        except models.ObjectDoesNotExist:
            return None

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


# What a campaign code is made of: printed and typed at the till, so no look-alikes (the
# letters of a pickup code).
CAMPAIGN_CODE_ALPHABET = PICKUP_CODE_ALPHABET


def new_campaign_code() -> str:
    return "C" + "".join(secrets.choice(CAMPAIGN_CODE_ALPHABET) for _ in range(7))


class CampaignMessage(models.Model):
    """A campaign's content on one channel in one language. ``subject`` and ``body`` are
    templates with merge fields (``{{ name }}``…, campaigns.rendering), checked at save."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(_("channel"), max_length=12, choices=MessageChannel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject / headline"), max_length=200, blank=True)
    preheader = models.CharField(_("preview text"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    cta_label = models.CharField(_("button label"), max_length=60, blank=True)
    cta_url = models.CharField(_("button link"), max_length=500, blank=True,
                               help_text=_("A path on the shop (/products/…) or a full https:// address."))
    include_recommendations = models.BooleanField(_("add recommendations"), default=False,
                                                  help_text=_("Products picked from each customer's own history."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        ordering = ["campaign_id", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel", "language"], name="campaign_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.channel}/{self.language}"


class RecipientStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("recipient", "Waiting")
    SENT = "sent", pgettext_lazy("recipient", "Sent")
    SKIPPED = "skipped", pgettext_lazy("recipient", "Skipped")
    FAILED = "failed", pgettext_lazy("recipient", "Failed")
    # in an A/B test's audience outside its test share: waits for the winner (campaigns.abtests)
    RESERVED = "reserved", pgettext_lazy("recipient", "Waiting for the A/B winner")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No opt-in for this channel")
    SUPPRESSED = "suppressed", _("Address suppressed (bounce or complaint)")
    NO_ADDRESS = "no_address", _("No address for this channel")
    FREQUENCY_CAP = "frequency_cap", _("Frequency cap reached")
    ERASED = "erased", _("Customer's data erased")
    NO_MESSAGE = "no_message", _("No message in a language they read")
    OUT_OF_STOCK = "out_of_stock", _("Featured product sold out")
    CANCELLED = "cancelled", _("Campaign cancelled")
    NOT_COMPLIANT = "not_compliant", _("Message fails the legal check")


class CampaignRecipient(models.Model):
    """One customer on one channel of a campaign: what happened to their message."""

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, choices=MessageChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=RecipientStatus.choices,
                              default=RecipientStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=20, choices=SkipReason.choices, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text=_("Held back by quiet hours until then."))
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    # the A/B variant this recipient gets (a test recipient's, or the winner for the rest)
    variant = models.ForeignKey("campaigns.ABVariant", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="recipients")
    # A journey's step sends its message once per enrolment (campaigns.journeys): the enrolment's id
    # here, so a customer in the journey again gets it again. 0 for a campaign's one send.
    occurrence = models.BigIntegerField(default=0)
    # the code an earlier step of a journey granted this customer ({{ offer_code }}); "" for a campaign's
    offer_code = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer", "channel", "occurrence"],
                                    name="campaign_recipient_once"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="recipient_campaign_status"),
            models.Index(fields=["customer", "sent_at"], name="recipient_customer_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}:{self.channel}"

    @property
    def message_key(self) -> str:
        """The delivery ledger's key of this recipient's message (kernel.deliveries)."""
        from kernel.subjects import campaign_subject

        key = campaign_subject(self.campaign_id)
        if self.occurrence:  # a journey step's message to one enrolment
            key = f"{key}:e{self.occurrence}"
        # each A/B variant is its own message: the ledger keeps them apart (one per recipient anyway)
        return f"{key}:ab{self.variant_id}" if self.variant_id else key


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    SOFT_BOUNCES = "soft_bounces", _("Repeated soft bounces")
    COMPLAINT = "complaint", _("Marked as spam")
    INVALID = "invalid", _("Invalid address")
    MANUAL = "manual", _("Added by staff")


class Suppression(models.Model):
    """An address no marketing message goes to, whatever the consent says: it bounced, its owner
    complained, or staff added it. Keyed by the normalised address (kernel.deliveries)."""

    channel = models.CharField(_("channel"), max_length=12, choices=MessageChannel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppression_once")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class DeliveryReceipt(models.Model):
    """What a provider reported about a message after it accepted it (delivered, bounced,
    complained, failed), received through the signed webhook. The provider's event id is unique,
    so a replayed receipt is recorded once."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        SOFT_BOUNCE = "soft_bounce", _("Soft bounce")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Complaint")
        FAILED = "failed", _("Failed")

    provider = models.CharField(_("provider"), max_length=40)
    event_id = models.CharField(_("provider's event id"), max_length=120)
    transport_id = models.CharField(_("transport id"), max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    recipient = models.ForeignKey(CampaignRecipient, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="receipts")
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    occurred_at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="receipt_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class TrackedLink(models.Model):
    """A short link of a campaign (``/r/<code>``): a click from a message, a QR code scanned from
    a postcard or POP, or a social post. Redirects to ``target`` with the UTM parameters added and
    records the touch (campaigns.tracking)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    channel = models.CharField(_("channel"), max_length=12, choices=MessageChannel.choices)
    target = models.CharField(_("target"), max_length=500)
    label = models.CharField(_("label"), max_length=100, blank=True)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        constraints = [models.UniqueConstraint(fields=["campaign", "channel", "target"], name="tracked_link_once")]

    def __str__(self) -> str:
        return self.code


class SendingPolicy(models.Model):
    """The shop's rules for every campaign (one row): how many marketing messages a customer gets
    at most across all campaigns in a window, and the sender named in every marketing email and
    SMS (特定電子メール法: the sender's name and an address to contact)."""

    frequency_cap = models.PositiveSmallIntegerField(_("messages at most"), default=3)
    frequency_days = models.PositiveSmallIntegerField(_("in days"), default=7)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True,
                                   help_text=_("Empty: the brand kit's legal name."))
    sender_address = models.CharField(_("sender's address"), max_length=300, blank=True,
                                      help_text=_("Empty: the brand kit's legal footer (company address)."))
    contact = models.CharField(_("contact for questions"), max_length=200, blank=True,
                               help_text=_("An email address or phone number for questions and complaints."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sending policy")
        verbose_name_plural = _("sending policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class PrintKind(models.TextChoices):
    POSTCARDS = "postcards", _("Direct-mail postcards (PDF)")
    POP = "pop", _("In-store POP (PDF)")
    SOCIAL = "social", _("Social card (PNG) and post")


class PrintStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("print", "Queued")
    RUNNING = "running", pgettext_lazy("print", "Printing")
    DONE = "done", pgettext_lazy("print", "Ready")
    FAILED = "failed", pgettext_lazy("print", "Failed")


class PrintRun(models.Model):
    """The print-ready files of a campaign's offline pieces, made by a job (campaigns.print_runs):
    one postcard per recipient (split into files of ``printing.POSTCARDS_PER_FILE``), a POP sign
    in each language, or the social card with its post. Kept outside MEDIA_ROOT, downloaded by
    marketers only."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="print_runs")
    kind = models.CharField(_("kind"), max_length=12, choices=PrintKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=PrintStatus.choices, default=PrintStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    files = models.JSONField(default=list, blank=True, help_text=_("The file names, in order."))
    post_text = models.TextField(_("post"), blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("print run")
        verbose_name_plural = _("print runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.kind}:{self.pk}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == PrintStatus.DONE else 0)


from .models_abtest import ABTest, ABVariant  # noqa: E402,F401  (A/B tests)
from .models_attribution import AttributionChannel, AttributionRun, ChannelCost  # noqa: E402,F401  (attribution)
from .models_backinstock import BackInStockSubscription  # noqa: E402,F401  (back-in-stock subscriptions)
from .models_journeys import (  # noqa: E402,F401  (journeys)
    Enrolment,
    EnrolmentStep,
    Journey,
    JourneySegmentMember,
    JourneyStep,
)
from .models_offers import CodeBatch, Offer, OfferCode, Redemption  # noqa: E402, F401  (offers and codes)
from .models_tracking import CampaignConversion, ConversionTouch  # noqa: E402,F401  (conversions)
