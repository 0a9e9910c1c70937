"""Back-in-stock subscriptions (campaigns.backinstock): a customer asks to be told once when a
variant that is out of stock comes back, online or at one store. Imported at the bottom of
campaigns/models.py, so this is the campaigns app's model.

A subscription is *open* while it is neither notified nor cancelled; each customer has at most
one open subscription per (variant, store) and one per variant with no store (two conditional
unique constraints: NULLs are distinct in a plain one, on SQLite and PostgreSQL alike). Once it
is notified or cancelled it stays as history and the customer may subscribe again."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

OPEN = Q(notified_at__isnull=True, cancelled_at__isnull=True)


class BackInStockSource(models.TextChoices):
    STOREFRONT = "storefront", _("Online store")
    CONSOLE = "console", _("Console")
    API = "api", pgettext_lazy("source", "API")


class BackInStockChannel(models.TextChoices):
    """How the customer would like to be told; empty: as the journey decides (their preferred channel)."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")


class BackInStockQuerySet(models.QuerySet):
    def open(self):
        """Neither notified nor cancelled: still waiting."""
        return self.filter(OPEN)

    def of_customer(self, customer):
        return self.filter(customer=customer)


class BackInStockSubscription(models.Model):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="back_in_stock")
    variant = models.ForeignKey("inventory.Variant", verbose_name=_("variant"), on_delete=models.CASCADE,
                                related_name="+")
    location = models.ForeignKey("omnishop.Location", verbose_name=_("store"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+",
                                 help_text=_("Empty: online (delivery from any shipping location)."))
    source = models.CharField(_("source"), max_length=12, choices=BackInStockSource.choices,
                              default=BackInStockSource.STOREFRONT)
    channel = models.CharField(_("notify by"), max_length=8, choices=BackInStockChannel.choices, blank=True,
                               default="", help_text=_("Empty: the customer's preferred channel."))
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    objects = BackInStockQuerySet.as_manager()

    class Meta:
        verbose_name = _("back-in-stock subscription")
        verbose_name_plural = _("back-in-stock subscriptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "variant", "location"],
                                    condition=OPEN & Q(location__isnull=False),
                                    name="backinstock_one_open_per_store"),
            models.UniqueConstraint(fields=["customer", "variant"], condition=OPEN & Q(location__isnull=True),
                                    name="backinstock_one_open_online"),
        ]
        indexes = [
            # the journey's look-up when stock comes back (campaigns.backinstock.back_in_stock_waiting)
            models.Index(fields=["variant", "location"], condition=OPEN, name="backinstock_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.variant_id}@{self.location_id or 'online'}"

    @property
    def is_open(self) -> bool:
        return self.notified_at is None and self.cancelled_at is None
