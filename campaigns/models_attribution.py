"""Attribution's tables: the costs HQ marketers enter per channel (and optionally per campaign)
and month, read by ``campaigns.attribution`` for the return on spend."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AttributionChannel(models.TextChoices):
    """Where a touch happened (``campaigns.attribution`` maps customer events to these)."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")
    ONSITE = "onsite", _("On-site banner")
    DM = "dm", _("Direct mail")
    POP = "pop", _("In-store POP")
    SOCIAL = "social", _("Social post")
    CODE = "code", _("Offer code")
    STORE = "store", _("Store visit")
    ADS = "ads", _("Ads (UTM)")


class ChannelCost(models.Model):
    """Money spent on a channel in a month, in yen, as a marketer entered it; with a campaign, the
    spending was that campaign's (and still counts for its channel: each row is money spent once)."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    channel = models.CharField(_("channel"), max_length=12, choices=AttributionChannel.choices)
    campaign = models.ForeignKey("campaigns.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="costs")
    amount = models.PositiveBigIntegerField(_("cost (yen)"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("channel cost")
        verbose_name_plural = _("channel costs")
        ordering = ["-month", "channel", "campaign_id"]
        permissions = [("view_attribution", _("Can see the attribution of orders to touchpoints"))]
        constraints = [
            models.UniqueConstraint(fields=["month", "channel"], condition=Q(campaign__isnull=True),
                                    name="channel_cost_one_per_month"),
            models.UniqueConstraint(fields=["month", "channel", "campaign"], condition=Q(campaign__isnull=False),
                                    name="channel_cost_campaign_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="channel_cost_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel} ¥{self.amount:,}"


class AttributionRunStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("attribution run", "Queued")
    RUNNING = "running", pgettext_lazy("attribution run", "Computing")
    DONE = "done", pgettext_lazy("attribution run", "Ready")
    FAILED = "failed", pgettext_lazy("attribution run", "Failed")


class AttributionRun(models.Model):
    """The attribution of a big range computed by a django-q2 task (``campaigns.attribution_runs``)
    and kept: one row per (range, window, half-life), so opening the same range again shows it and
    a recompute starts the same row afresh. ``result`` holds the credits per model as each model
    finishes (``done`` of ``total`` steps: the paths, then each model), so a run stopped mid-way
    resumes with the models still missing."""

    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    window_days = models.PositiveSmallIntegerField(_("look-back window (days)"))
    half_life_days = models.FloatField(_("half-life (days)"))
    status = models.CharField(_("status"), max_length=10, choices=AttributionRunStatus.choices,
                              default=AttributionRunStatus.QUEUED)
    total = models.PositiveSmallIntegerField(default=0)
    done = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(_("step"), max_length=20, blank=True, help_text=_("The step running now."))
    estimated_touches = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("attribution run")
        verbose_name_plural = _("attribution runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["start", "end", "window_days", "half_life_days"],
                                    name="attribution_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end} ({self.window_days} d, {self.half_life_days:g})"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == AttributionRunStatus.DONE
                                                                     else 0)

    @property
    def is_running(self) -> bool:
        return self.status in (AttributionRunStatus.QUEUED, AttributionRunStatus.RUNNING)
