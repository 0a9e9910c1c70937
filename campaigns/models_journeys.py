"""Journeys: automated series of steps a customer goes through after a trigger (campaigns.journeys).

A journey is a graph of steps: wait, branch (yes / no), send (a message on a channel, with an
optional fallback channel), offer (a personal code), exit. A customer who meets the trigger is
*enrolled*; the engine moves each enrolment from step to step at the time its step is due.

- ``Journey``: the trigger and its settings, the goal (an order placed, an order collected) that
  takes a customer out early, re-entry and a per-journey frequency cap.
- ``JourneyStep``: one step; ``next_step`` (and, for a branch, ``else_step`` for "no"). A send
  step's content is an automated ``Campaign`` of its own (messages per channel and language, brand
  lint, tracking, results): the sending engine sends it, one recipient row per enrolment.
- ``Enrolment``: one customer's way through one journey: where they are, when their step is due,
  what the trigger was about (the cart, the order, the variant back in stock).
- ``EnrolmentStep``: each step an enrolment went through, once (unique): the step counts, and the
  proof a step is never run twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JourneyTrigger(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    BACK_IN_STOCK = "back_in_stock", _("Back in stock")
    ORDER_PLACED = "order_placed", _("Order placed")
    READY_FOR_PICKUP = "ready_for_pickup", _("Order ready for pickup")
    PICKED_UP = "picked_up", _("Order collected")
    SHIPPED = "shipped", _("Order shipped")
    BIRTHDAY = "birthday", _("Birthday")
    INACTIVE = "inactive", _("Inactive for a while")
    SEGMENT_ENTERED = "segment_entered", _("Entered a segment")
    CUSTOM = "custom", _("Custom event")


# triggers the clock finds (campaigns.journeys.journeys_scan), not the outbox
SCANNED_TRIGGERS = (JourneyTrigger.BIRTHDAY, JourneyTrigger.INACTIVE, JourneyTrigger.SEGMENT_ENTERED)


class JourneyStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("journey", "Draft")
    ACTIVE = "active", pgettext_lazy("journey", "Active")
    PAUSED = "paused", pgettext_lazy("journey", "Paused")
    ARCHIVED = "archived", pgettext_lazy("journey", "Archived")


class JourneyGoal(models.TextChoices):
    NONE = "", _("None")
    ORDER_PLACED = "order_placed", _("An order placed")
    ORDER_COLLECTED = "order_collected", _("The order collected")


class Reentry(models.TextChoices):
    ONCE = "once", _("Once per customer")
    AFTER_EXIT = "after_exit", _("Again once the last time is over")
    AFTER_DAYS = "after_days", _("Again after some days")


class JourneyPurpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing (needs the customer's opt-in)")
    SERVICE = "service", _("Service (about their own order: no opt-in needed)")


class Journey(models.Model):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    template = models.CharField(_("made from"), max_length=40, blank=True, editable=False,
                                help_text=_("The ready-made journey it started as."))
    trigger = models.CharField(_("trigger"), max_length=20, choices=JourneyTrigger.choices)
    # trigger settings: cart_abandoned {"hours"}, inactive {"days"}, birthday {"days_before"},
    # segment_entered {"segment"}, custom {"event"}; checked by campaigns.journeys.journey_problems
    trigger_config = models.JSONField(_("trigger settings"), default=dict, blank=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=JourneyPurpose.choices,
                               default=JourneyPurpose.MARKETING)
    goal = models.CharField(_("goal"), max_length=20, choices=JourneyGoal.choices, default=JourneyGoal.NONE,
                            blank=True, help_text=_("Reached: the customer leaves the journey at once."))
    reentry = models.CharField(_("re-entry"), max_length=12, choices=Reentry.choices, default=Reentry.AFTER_EXIT)
    reentry_days = models.PositiveIntegerField(_("days before re-entry"), default=30)
    cap_messages = models.PositiveIntegerField(
        _("messages at most"), null=True, blank=True,
        help_text=_("Per customer within the period below, from this journey; empty: no cap."))
    cap_days = models.PositiveIntegerField(_("period (days)"), default=7)
    status = models.CharField(_("status"), max_length=10, choices=JourneyStatus.choices,
                              default=JourneyStatus.DRAFT, db_index=True)
    first_step = models.ForeignKey("campaigns.JourneyStep", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["name", "id"]
        permissions = [("activate_journey", _("Can activate and pause a journey"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("console:journey_detail", kwargs={"pk": self.pk})

    @property
    def is_editable(self) -> bool:
        return self.status in (JourneyStatus.DRAFT, JourneyStatus.PAUSED)


class StepKind(models.TextChoices):
    WAIT = "wait", pgettext_lazy("journey step", "Wait")
    BRANCH = "branch", pgettext_lazy("journey step", "Branch")
    SEND = "send", pgettext_lazy("journey step", "Send")
    OFFER = "offer", pgettext_lazy("journey step", "Grant an offer")
    EXIT = "exit", pgettext_lazy("journey step", "Exit")


class BranchCondition(models.TextChoices):
    OPENED_LAST = "opened_last", _("Opened the last message")
    CLICKED_LAST = "clicked_last", _("Clicked in the last message")
    HAS_CONSENT = "has_consent", _("Has opted in on a channel")
    IN_SEGMENT = "in_segment", _("Is in a segment")
    CART_HAS_ITEMS = "cart_has_items", _("Cart still holds items")
    ORDERED_SINCE_ENTRY = "ordered_since_entry", _("Ordered since entering")


class JourneyStep(models.Model):
    """One step. ``config``: wait {"minutes", "at" "HH:MM"}, branch {"condition", "channel",
    "segment"}, send {"channel", "fallback_channel", "fallback_hours"}."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    name = models.CharField(_("label"), max_length=80, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    next_step = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("then"))
    else_step = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("otherwise"))
    campaign = models.OneToOneField("campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="journey_step", help_text=_("A send step's content."))
    offer = models.ForeignKey("campaigns.Offer", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="journey_steps")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journey step")
        verbose_name_plural = _("journey steps")
        ordering = ["journey_id", "id"]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.pk}:{self.kind}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("enrolment", "In the journey")
    COMPLETED = "completed", pgettext_lazy("enrolment", "Completed")
    GOAL = "goal", pgettext_lazy("enrolment", "Reached the goal")
    EXITED = "exited", pgettext_lazy("enrolment", "Left early")


class EnrolmentState(models.TextChoices):
    READY = "ready", _("Step due")  # the current step runs at due_at
    WAITING = "waiting", _("Waiting")  # the current step ran; it finishes at due_at (a wait, a fallback)


class Enrolment(models.Model):
    id = models.BigAutoField(primary_key=True)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrolments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    # what one enrolment is about, when a customer may be in the journey more than once at a time
    # (two orders ready, two sizes back in stock): "" for the others
    thread = models.CharField(max_length=40, blank=True, default="")
    # the occurrence of the trigger (an event id, a birthday's year): one enrolment per occurrence
    trigger_key = models.CharField(max_length=80)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.ACTIVE)
    exit_reason = models.CharField(_("why it ended"), max_length=40, blank=True)
    current_step = models.ForeignKey(JourneyStep, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    state = models.CharField(max_length=8, choices=EnrolmentState.choices, default=EnrolmentState.READY)
    due_at = models.DateTimeField(null=True, blank=True)
    entered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-entered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "trigger_key"], name="enrolment_once_per_trigger"),
            models.UniqueConstraint(fields=["journey", "customer", "thread"], condition=Q(status="active"),
                                    name="enrolment_one_active"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="active"), name="enrolment_due"),
            models.Index(fields=["customer", "journey"], name="enrolment_customer"),
            models.Index(fields=["journey", "status", "current_step"], name="enrolment_journey_step"),
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.customer_id}:{self.pk}"


class EnrolmentStep(models.Model):
    """A step an enrolment went through (or is going through): at most once each."""

    id = models.BigAutoField(primary_key=True)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(JourneyStep, on_delete=models.CASCADE, related_name="passes")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "step"], name="enrolment_step_once")]
        indexes = [models.Index(fields=["step", "outcome"], name="enrolment_step_outcome")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}:{self.step_id}:{self.outcome}"


class JourneySegmentMember(models.Model):
    """Who was in the segment of a "entered a segment" journey at its last scan: the next scan
    enrols those who are in it now and were not then (so leaving and coming back counts again)."""

    id = models.BigAutoField(primary_key=True)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="segment_members")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "customer"], name="journey_segment_member_once")]

    def __str__(self) -> str:
        return f"{self.journey_id}:{self.customer_id}"
