"""What a campaign earned: its conversions (campaigns.conversions). Imported at the bottom of
campaigns/models.py, so these are the campaigns app's models."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ConversionTouch(models.TextChoices):
    """What earned the order: the campaign's last touch before it, or a code redeemed with it."""

    CLICK = "click", pgettext_lazy("conversion touch", "Clicked")
    OPEN = "open", pgettext_lazy("conversion touch", "Opened")
    SENT = "sent", pgettext_lazy("conversion touch", "Received")
    CODE = "code", pgettext_lazy("conversion touch", "Redeemed a code")


class CampaignConversion(models.Model):
    """An order a campaign is credited with: the customer's last touch of the campaign within the
    attribution window (a click, an open, a message received) or the campaign's code redeemed with
    the order. At most one per (campaign, order)."""

    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="conversions")
    recipient = models.ForeignKey("campaigns.CampaignRecipient", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="conversions")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order_number = models.CharField(_("order"), max_length=40)
    revenue = models.BigIntegerField(_("revenue"), help_text=_("The order's total in yen."))
    channel = models.CharField(_("channel"), max_length=12, blank=True,
                               help_text=_("The campaign's channel that earned it (empty: not known)."))
    order_channel = models.CharField(_("sales channel"), max_length=40, blank=True,
                                     help_text=_("Where the order was placed."))
    touch = models.CharField(_("touch"), max_length=8, choices=ConversionTouch.choices)
    touched_at = models.DateTimeField(_("touched at"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("campaign conversion")
        verbose_name_plural = _("campaign conversions")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "order_number"], name="campaign_conversion_once"),
            models.CheckConstraint(condition=models.Q(revenue__gte=0), name="campaign_conversion_revenue"),
        ]
        indexes = [
            models.Index(fields=["campaign", "occurred_at"], name="conversion_campaign_time"),
            models.Index(fields=["order_number"], name="conversion_order"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.order_number}"
