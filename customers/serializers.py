"""API shapes of the customers domain."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Customer
from .selectors import consent_state


class CustomerSerializer(serializers.ModelSerializer):
    favourite_location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "email", "full_name", "family_name", "given_name", "family_name_kana", "given_name_kana",
                  "phone", "prefecture", "favourite_location", "created_at"]


class ConsentStateSerializer(serializers.Serializer):
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)
    line = serializers.BooleanField(required=False)
    postal = serializers.BooleanField(required=False)


class CustomerDetailSerializer(CustomerSerializer):
    consent = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "postal_code", "address", "preferred_size", "consent"]

    @extend_schema_field(ConsentStateSerializer)
    def get_consent(self, customer: Customer) -> dict[str, bool]:
        """Current opt-in per marketing channel (the latest consent ledger row wins)."""
        return consent_state(customer=customer)
