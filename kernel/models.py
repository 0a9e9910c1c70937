"""Kernel tables: locations, the user account, sales channels, and API idempotency records."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .japan import Prefecture, validate_phone


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")
    POPUP = "popup", _("Pop-up")
    LOCKER = "locker", _("Locker")


class LocationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def taking_returns(self):
        return self.active().filter(takes_returns=True)

    def pickup_points(self):
        return self.active().filter(offers_pickup=True)

    def stores(self):
        return self.active().filter(kind__in=[LocationKind.STORE, LocationKind.POPUP])

    def public(self):
        """Where customers can go: stores and pop-ups (walk in) and pickup points."""
        return self.active().filter(Q(kind__in=[LocationKind.STORE, LocationKind.POPUP]) | Q(offers_pickup=True))


class Location(models.Model):
    """A store, warehouse, pop-up or locker: what staff roles, channels and stock are scoped by."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=Prefecture.choices, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    offers_pickup = models.BooleanField(_("offers pickup"), default=False)
    ships_orders = models.BooleanField(_("ships orders"), default=False)
    # Returns of any order, from any channel, are taken here (at the counter, or by mail at a
    # warehouse): the returns desk and the customer's choice of store list only these.
    takes_returns = models.BooleanField(_("takes returns"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["kind", "code"]
        db_table = "inventory_location"  # moved from inventory; the table keeps its name

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One login for staff and customers. Staff roles are groups; ``location`` scopes
    store staff and warehouse operators to the site they work at."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    location = models.ForeignKey(
        "omnishop.Location",
        verbose_name=_("work location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Store staff and warehouse operators only see and act on this location."),
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email


class ChannelKind(models.TextChoices):
    WEB = "web", pgettext_lazy("channel kind", "Web storefront")
    POS = "pos", pgettext_lazy("channel kind", "Store POS")
    PHONE = "phone", pgettext_lazy("channel kind", "Phone orders")
    MARKETPLACE = "marketplace", pgettext_lazy("channel kind", "Marketplace")
    SOCIAL = "social", pgettext_lazy("channel kind", "Social shop")
    APP = "app", pgettext_lazy("channel kind", "App")


class ChannelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Channel(models.Model):
    """Where a sale or touchpoint comes from. Each store's POS is its own channel."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    location = models.ForeignKey(
        "omnishop.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels",
        help_text=_("The store a POS channel belongs to."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="pos") | models.Q(location__isnull=False),
                name="channel_pos_has_location",
            )
        ]

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The stored answer to an API request made with an ``Idempotency-Key`` header."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey("omnishop.User", on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class AppendOnlyModel(models.Model):
    """A ledger row: written once, never changed (the audit trail, the event outbox, the consent
    ledger, the customer event stream). Corrections are new rows."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self._meta.verbose_name_plural} are append-only: add a new row instead.")
        super().save(*args, **kwargs)


class AuditEntry(AppendOnlyModel):
    """Who did what: one row per business write of the catalogue, the locations and customer
    profiles, written by the service in the same transaction (``kernel.audit.audit_record``).
    Writes that keep their own ledger with the acting user (stock movements, order events, the
    consent ledger) are not repeated here. Append-only."""

    actor = models.ForeignKey("omnishop.User", verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text=_("Empty: the system (an import, a task, the demo)."))
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    SENDING = "sending", _("Sending")
    COMMITTING = "committing", _("Being accepted by the transport")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (worker died while sending)")


class Delivery(models.Model):
    """The delivery ledger: one row per (message, recipient, channel), claimed in its own committed
    transaction before the transport is called and marked sent after, so a retried job never sends
    a message twice. Written only by ``kernel.deliveries`` (see its docstring for the rule that
    resolves a claim left by a dead worker)."""

    message_key = models.CharField(_("message"), max_length=200)
    recipient = models.CharField(_("recipient"), max_length=254)
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.CLAIMED)
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    claimed_by = models.CharField(_("claimed by"), max_length=120, blank=True,
                                  help_text=_("The worker holding the claim: host, process id and a token."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    retry_safe = models.BooleanField(
        _("safe to send again"), default=False,
        help_text=_("While sending: the transport has not been asked to accept the message yet (or it recognises "
                    "a repeat by the message's id), so a claim a dead worker left here is sent again."))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    transport_id = models.CharField(_("transport id"), max_length=255, blank=True,
                                    help_text=_("What the transport knows the message by (an email's Message-ID)."))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_key", "recipient", "channel"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="delivery_status"),
                   # a provider's delivery receipt finds its message by the transport's id
                   models.Index(fields=["transport_id"], name="delivery_transport_id")]

    def __str__(self) -> str:
        return f"{self.message_key} → {self.recipient} ({self.channel})"


class DomainEvent(AppendOnlyModel):
    """The domain event outbox: one row per thing that happened, appended by a service in the
    same transaction as the change it records (``kernel.events.publish``). Append-only; the id
    is the order consumers read it in (``ConsumerCursor``)."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("type"), max_length=80)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    subject = models.CharField(_("subject"), max_length=120, blank=True,
                               help_text=_("What the event is about, as app.model:id."))
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder, default=dict)
    actor = models.ForeignKey("omnishop.User", verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.subject}"


class ConsumerCursor(models.Model):
    """How far one consumer of the domain events has got: the id of the last event it handled.
    Advanced in the same transaction as the consumer's own writes (``kernel.events.events_consume``)."""

    consumer = models.CharField(_("consumer"), max_length=100, unique=True)
    last_event_id = models.BigIntegerField(_("last event"), default=0)
    handled = models.BigIntegerField(_("events handled"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event consumer cursor")
        verbose_name_plural = _("event consumer cursors")
        ordering = ["consumer"]

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.last_event_id}"
