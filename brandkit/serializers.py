from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import (
    Brand,
    BrandKit,
    BrandKitVersion,
    Channel,
    EditorialRule,
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


class VersionSerializer(serializers.ModelSerializer):
    palette = PaletteColourSerializer(many=True, read_only=True)
    rules = EditorialRuleSerializer(many=True, read_only=True)

    class Meta:
        model = BrandKitVersion
        fields = ["id", "kit", "number", "status", "identity", "tone", "typography", "logo_rules",
                  "channel_templates", "channel_rules", "notation", "ugc_guidelines", "note", "created_at",
                  "updated_at", "published_at", "palette", "rules"]
        read_only_fields = ["id", "kit", "number", "status", "created_at", "updated_at", "published_at"]


class VersionWriteSerializer(serializers.Serializer):
    identity = serializers.JSONField(required=False)
    tone = serializers.JSONField(required=False)
    typography = serializers.JSONField(required=False)
    logo_rules = serializers.JSONField(required=False)
    channel_templates = serializers.JSONField(required=False)
    channel_rules = serializers.JSONField(required=False)
    notation = serializers.JSONField(required=False)
    ugc_guidelines = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug", "is_default"]


class KitSerializer(serializers.ModelSerializer):
    brand = BrandSerializer(read_only=True)

    class Meta:
        model = BrandKit
        fields = ["id", "brand", "name", "is_active", "published_version"]


class PaletteWriteSerializer(serializers.Serializer):
    colours = PaletteColourSerializer(many=True)


class RulesWriteSerializer(serializers.Serializer):
    rules = EditorialRuleSerializer(many=True)


class LintRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=20_000, trim_whitespace=False)
    channel = serializers.ChoiceField(choices=Channel.choices)
    locale = serializers.ChoiceField(choices=[("ja", "ja"), ("en", "en")], default="ja")
    version = serializers.IntegerField(required=False, help_text=_("Lint against this version (default: active)."))


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
