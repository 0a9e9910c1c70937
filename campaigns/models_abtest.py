"""A campaign's A/B test (campaigns.abtests): two to four variants of its copy sent to a share
of the audience, the winner chosen by a metric with a significance test, then sent to the rest.
Imported at the bottom of campaigns/models.py, so these are the campaigns app's models."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

VARIANT_LABELS = ("A", "B", "C", "D")
MIN_VARIANTS, MAX_VARIANTS = 2, 4


class ABMetric(models.TextChoices):
    OPEN_RATE = "open_rate", _("Open rate")
    CLICK_RATE = "click_rate", _("Click rate")
    CONVERSION_RATE = "conversion_rate", _("Conversion rate")
    REVENUE = "revenue_per_recipient", _("Revenue per recipient")


class ABStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("ab test", "Not started")
    TESTING = "testing", pgettext_lazy("ab test", "Testing")
    WINNER_SENT = "winner_sent", pgettext_lazy("ab test", "Winner sent to the rest")
    CANCELLED = "cancelled", pgettext_lazy("ab test", "Cancelled")


class ABTest(models.Model):
    """The A/B test of one campaign. ``test_share`` percent of the audience, chosen by a hash of
    (campaign, customer), is split evenly between the variants; the rest waits (recipient status
    ``reserved``) until the winner is sent to them."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="ab_test")
    test_share = models.PositiveSmallIntegerField(
        _("test share (%)"), default=20,
        help_text=_("The share of the audience that receives a variant; the rest later gets the winner."))
    metric = models.CharField(_("winner by"), max_length=24, choices=ABMetric.choices, default=ABMetric.CLICK_RATE)
    decide_after_hours = models.PositiveSmallIntegerField(
        _("send the winner after (hours)"), null=True, blank=True,
        help_text=_("Empty: a marketer decides and sends the winner from the campaign page."))
    status = models.CharField(_("status"), max_length=12, choices=ABStatus.choices, default=ABStatus.DRAFT)
    test_started_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey("campaigns.ABVariant", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    p_value = models.FloatField(null=True, blank=True, help_text=_("The chance the difference is luck."))
    verdict = models.JSONField(default=dict, blank=True, help_text=_("The figures the winner was chosen on."))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("A/B test")
        verbose_name_plural = _("A/B tests")
        constraints = [
            models.CheckConstraint(condition=models.Q(test_share__gte=1, test_share__lte=100),
                                   name="ab_test_share_percent"),
        ]

    def __str__(self) -> str:
        return f"A/B {self.campaign_id}"

    @property
    def automatic(self) -> bool:
        return self.decide_after_hours is not None


class VariantChannel(models.TextChoices):
    """The channel a variant goes by instead of the campaign's own (empty: the campaign's)."""

    SAME = "", _("As the campaign")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")


class ABVariant(models.Model):
    """One variant: the campaign's messages with some of their copy replaced, and optionally
    another offer or another channel. ``copy`` maps a message slot (``channel/language``) to the
    replaced parts (``{"email/ja": {"subject": "…", "body": "…"}}``); a part left out keeps the
    campaign message's. ``offer``: the coupon its recipients get instead of the campaign's.
    ``channel``: it goes by SMS or LINE (or email) instead of the campaign's one sent channel,
    with its text in ``copy`` under that channel (``{"sms/ja": {"body": "…"}}``). Variant A is
    usually the campaign as written."""

    ab_test = models.ForeignKey(ABTest, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(_("variant"), max_length=1)
    copy = models.JSONField(_("copy"), default=dict, blank=True)
    offer = models.ForeignKey("campaigns.Offer", verbose_name=_("offer"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("Empty: the campaign's own offer."))
    channel = models.CharField(_("goes by"), max_length=12, choices=VariantChannel.choices, blank=True,
                               default=VariantChannel.SAME)

    class Meta:
        verbose_name = _("A/B variant")
        verbose_name_plural = _("A/B variants")
        ordering = ["ab_test_id", "label"]
        constraints = [models.UniqueConstraint(fields=["ab_test", "label"], name="ab_variant_label_once")]

    def __str__(self) -> str:
        return self.label

    def part(self, language: str, name: str) -> str:
        return ((self.copy or {}).get(language) or {}).get(name, "")
