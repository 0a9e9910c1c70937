"""The brand's guidelines as data: brands, their kit, versioned drafts and published versions.

A ``BrandKit`` belongs to a ``Brand`` (one active kit per brand). Its content lives in
``BrandKitVersion`` rows: one editable draft at a time, and every published version kept
for the history. Identity, tone, typography, channel templates and channel rules are JSON
documents validated by the services; the palette and the editorial rules are rows so that
roles are unique per version and each rule's pattern is validated on save.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .colour import ColourRole, validate_hex


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


class Channel(models.TextChoices):
    """Touchpoints whose copy the kit governs (not the sales channels in omnishop.Channel)."""

    WEB = "web", _("Web / product page")
    EMAIL = "email", _("Marketing email")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social post")
    POP = "pop", _("In-store POP")
    POSTCARD = "postcard", _("Direct-mail postcard")


# Labels of the template fields a channel keeps (see services.CHANNEL_TEMPLATE_FIELDS).
TEMPLATE_LABELS = {
    "layout": _("Layout"),
    "header": _("Header text"),
    "footer": _("Footer text"),
    "signature": _("Signature"),
    "card": _("Card layout"),
    "sign": _("Sign layout"),
}
# Elements a channel's copy must contain (channel_rules[channel]["required"]).
REQUIRED_ELEMENT_LABELS = {"unsubscribe": _("Unsubscribe link"), "legal_footer": _("Legal footer")}


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    is_default = models.BooleanField(
        _("default brand"), default=False, help_text=_("The brand the storefront and console render with.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="brand_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class BrandKit(models.Model):
    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.CASCADE, related_name="kits")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    published_version = models.ForeignKey(
        "BrandKitVersion", verbose_name=_("published version"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    share_token = models.CharField(_("share token"), max_length=64, unique=True, default=new_share_token)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("brand kit")
        verbose_name_plural = _("brand kits")
        ordering = ["brand", "-is_active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["brand"], condition=Q(is_active=True), name="brandkit_one_active_per_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} / {self.name}"

    def edit_source(self) -> "BrandKitVersion | None":
        """The version an edit of this kit starts from: its draft, else the published version
        (a new draft copies it), else the latest one."""
        return (self.versions.filter(status=VersionStatus.DRAFT).first() or self.published_version
                or self.versions.order_by("-number").first())


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class BrandKitVersion(models.Model):
    kit = models.ForeignKey(BrandKit, verbose_name=_("kit"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    # {"brand_name", "tagline", "mission", "vision", "values": [...], "story", "legal_footer"}
    identity = models.JSONField(_("identity"), default=dict, blank=True)
    # {"attributes": [{"name", "description", "do": [...], "dont": [...]}], "channels": {channel: text}}
    tone = models.JSONField(_("tone of voice"), default=dict, blank=True)
    # {"heading": {"family", "fallbacks"}, "body": {...}, "scale": {"h1": "2.25rem", ...}}
    typography = models.JSONField(_("typography"), default=dict, blank=True)
    # {"min_size_px": 64, "clear_space": "..."}
    logo_rules = models.JSONField(_("logo rules"), default=dict, blank=True)
    # {channel: {"layout"/"signature"/...: text}}
    channel_templates = models.JSONField(_("channel templates"), default=dict, blank=True)
    # {channel: {"max_length": int, "exclamation_max": int|None, "emoji": bool, "required": [...]}}
    channel_rules = models.JSONField(_("channel rules"), default=dict, blank=True)
    # {"fullwidth_alnum": true, "halfwidth_katakana": true, "long_vowel": true}
    notation = models.JSONField(_("notation rules"), default=dict, blank=True)
    ugc_guidelines = models.TextField(_("influencer / UGC guidelines"), blank=True)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("brand kit version")
        verbose_name_plural = _("brand kit versions")
        ordering = ["kit", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "number"], name="brandkitversion_unique_number"),
            models.UniqueConstraint(
                fields=["kit"], condition=Q(status="draft"), name="brandkitversion_one_draft_per_kit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kit} v{self.number} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class PaletteColour(models.Model):
    version = models.ForeignKey(BrandKitVersion, on_delete=models.CASCADE, related_name="palette")
    role = models.CharField(_("role"), max_length=20, choices=ColourRole.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    hex = models.CharField(_("hex"), max_length=7, validators=[validate_hex])

    class Meta:
        verbose_name = _("palette colour")
        verbose_name_plural = _("palette colours")
        ordering = ["version", "role"]
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="palettecolour_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.hex}"


class RuleKind(models.TextChoices):
    BANNED = "banned", _("Banned term")
    PREFERRED = "preferred", _("Preferred term (write X, not Y)")
    SPELLING = "spelling", _("Product-name spelling")
    PATTERN = "pattern", _("Regular expression")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Info")


class EditorialRule(models.Model):
    version = models.ForeignKey(BrandKitVersion, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    # banned/preferred/spelling: the literal term to flag; pattern: a regular expression.
    pattern = models.CharField(_("term or pattern"), max_length=200)
    replacement = models.CharField(_("write instead"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=200, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    channels = models.JSONField(_("channels"), default=list, blank=True, help_text=_("Empty means every channel."))

    class Meta:
        verbose_name = _("editorial rule")
        verbose_name_plural = _("editorial rules")
        ordering = ["version", "kind", "pattern"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.pattern}"


class LogoVariant(models.TextChoices):
    FULL = "full", _("Full colour")
    MONO = "mono", _("Mono")
    REVERSED = "reversed", _("Reversed")


def logo_upload_to(instance, filename: str) -> str:
    return f"brandkit/logos/{secrets.token_hex(8)}/{filename}"


class Logo(models.Model):
    version = models.ForeignKey(BrandKitVersion, on_delete=models.CASCADE, related_name="logos")
    name = models.CharField(_("name"), max_length=100, blank=True)
    original = models.ImageField(_("original"), upload_to=logo_upload_to)
    # {"full": path, "mono": path, "reversed": path, "favicon-16": path, "favicon-32": ..., "favicon-180": ...}
    variants = models.JSONField(_("variants"), default=dict, blank=True)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    is_primary = models.BooleanField(_("primary"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("logo")
        verbose_name_plural = _("logos")
        ordering = ["version", "-is_primary", "id"]

    def __str__(self) -> str:
        return self.name or self.original.name


class LintCheck(models.Model):
    """One recorded lint of real copy (a campaign before sending, a product description on save,
    an API call): the consistency score per channel is the share of checks with no errors."""

    version = models.ForeignKey(BrandKitVersion, on_delete=models.SET_NULL, null=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=40, blank=True)
    violations = models.PositiveIntegerField(_("violations"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("lint check")
        verbose_name_plural = _("lint checks")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.channel} {self.errors}/{self.violations}"



class KitAction(models.TextChoices):
    """The brand kit's writes as the audit trail names them (``kernel.AuditEntry.action``: the
    service's name), with what the history page calls them."""

    BRAND_CREATED = "brand_create", _("Brand created")
    BRAND_MADE_DEFAULT = "brand_set_default", _("Made the default brand")
    KIT_CREATED = "kit_create", _("Kit created")
    DRAFT_STARTED = "draft_get_or_create", _("Draft started")
    DRAFT_EDITED = "draft_update", _("Draft edited")
    PALETTE_SET = "palette_set", _("Palette replaced")
    RULES_SET = "rules_set", _("Editorial rules replaced")
    RULE_ADDED = "rule_add", _("Editorial rule added")
    RULE_DELETED = "rule_delete", _("Editorial rule deleted")
    LOGO_ADDED = "logo_add", _("Logo uploaded")
    VERSION_PUBLISHED = "version_publish", _("Version published")
    SHARE_LINK_RENEWED = "kit_share_token_rotate", _("Share link renewed")
