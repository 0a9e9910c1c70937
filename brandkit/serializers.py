from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import assets
from .models import (
    Brand,
    BrandKit,
    BrandKitVersion,
    Channel,
    EditorialRule,
    Logo,
    PaletteColour,
    RuleKind,
    Severity,
)


class PaletteColourSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaletteColour
        fields = ["role", "name", "hex"]


class EditorialRuleSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.WARNING)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False,
                                     default=list)

    class Meta:
        model = EditorialRule
        fields = ["id", "kind", "pattern", "replacement", "message", "severity", "channels"]
        read_only_fields = ["id"]


class LogoSerializer(serializers.ModelSerializer):
    original = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField()

    class Meta:
        model = Logo
        fields = ["id", "name", "width", "height", "is_primary", "original", "variants"]

    def get_original(self, logo) -> str:
        return logo.original.url if logo.original else ""

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"full": "/media/brandkit/logos/x/full.png"}})
    def get_variants(self, logo) -> dict:
        """URL of each stored variant: full, mono, reversed, favicon-16, -32, -180, -512."""
        return {key: default_storage.url(path) for key, path in (logo.variants or {}).items()}


class VersionSerializer(serializers.ModelSerializer):
    palette = PaletteColourSerializer(many=True, read_only=True)
    rules = EditorialRuleSerializer(many=True, read_only=True)
    logos = LogoSerializer(many=True, read_only=True)

    class Meta:
        model = BrandKitVersion
        fields = ["id", "kit", "number", "status", "identity", "tone", "typography", "logo_rules",
                  "channel_templates", "channel_rules", "notation", "ugc_guidelines", "note", "created_at",
                  "updated_at", "published_at", "palette", "rules", "logos"]
        read_only_fields = ["id", "kit", "number", "status", "created_at", "updated_at", "published_at"]


class VersionWriteSerializer(serializers.Serializer):
    identity = serializers.JSONField(required=False)
    tone = serializers.JSONField(required=False)
    typography = serializers.JSONField(required=False)
    logo_rules = serializers.JSONField(required=False)
    channel_templates = serializers.JSONField(required=False)
    channel_rules = serializers.JSONField(required=False)
    notation = serializers.JSONField(required=False)
    ugc_guidelines = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                                 help_text=_("The change note kept with the published version."))


class BrandStartSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50, required=False, allow_blank=True, default="",
                                 help_text=_("Latin letters, digits and hyphens; made from the name when empty."))
    is_default = serializers.BooleanField(required=False, default=False)


class LogoUploadSerializer(serializers.Serializer):
    logo = serializers.FileField(help_text=_("PNG, JPEG or WebP, at most 5 MB."))
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_logo(self, upload):
        assets.inspect_upload(upload)  # the console's checks: not an image, format, too big, bomb, too small
        return upload


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug", "is_default"]


class KitSerializer(serializers.ModelSerializer):
    brand = BrandSerializer(read_only=True)

    class Meta:
        model = BrandKit
        fields = ["id", "brand", "name", "is_active", "published_version"]


class BrandStartedSerializer(serializers.Serializer):
    brand = BrandSerializer()
    kit = KitSerializer()
    draft = VersionSerializer()


class PaletteWriteSerializer(serializers.Serializer):
    colours = PaletteColourSerializer(many=True)


class RulesWriteSerializer(serializers.Serializer):
    rules = EditorialRuleSerializer(many=True)


class LintRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=20_000, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Channel.choices)
    locale = serializers.ChoiceField(choices=[("ja", "ja"), ("en", "en")], default="ja")
    version = serializers.IntegerField(required=False, help_text=_("Lint against this version (default: active)."))
    record = serializers.ChoiceField(
        choices=[("", _("Do not record (a check while writing)")), ("save", _("Copy being saved")),
                 ("send", _("Copy about to be sent"))],
        required=False, default="", allow_blank=True,
        help_text=_("Record the result for the channel's consistency score: only for copy being saved or sent "
                    "(needs the brandkit.view_brandkit permission). Checks while writing are not recorded."))


class ViolationSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    rule = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)


class LintResponseSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text=_("False when any violation is an error: do not send this copy."))
    violations = ViolationSerializer(many=True)
    score = serializers.IntegerField()


class ConsistencyScoreSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    label = serializers.CharField()
    total = serializers.IntegerField(help_text=_("Recorded checks of saved or sent copy in the period."))
    score = serializers.IntegerField(allow_null=True, help_text=_("Share of those checks with no errors (0-100)."))
