"""API shapes of the customers domain."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.japan import Prefecture
from kernel.models import Location

from .models import (
    CONTACT_CHANNEL_CHOICES,
    ConsentChannel,
    Customer,
    CustomerEvent,
    Gender,
    InteractionChannel,
)
from .selectors import consent_state
from .services import STAFF_EVENT_KINDS


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
    push = serializers.BooleanField(required=False)
    postal = serializers.BooleanField(required=False)
    phone = serializers.BooleanField(required=False)


class CustomerAddressSerializer(serializers.Serializer):
    """One address of the book (issue 8). Postal code as 1234567 or 123-4567 (any width),
    prefecture as its code ("13") or its name ("東京都"); stored normalised."""

    label = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=120, help_text=_("The recipient."))
    postal_code = serializers.CharField(max_length=10)
    prefecture = serializers.CharField(max_length=10)
    city = serializers.CharField(max_length=100)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    is_default = serializers.BooleanField(required=False, default=False)


class CustomerDetailSerializer(CustomerSerializer):
    consent = serializers.SerializerMethodField()
    addresses = CustomerAddressSerializer(many=True, read_only=True)

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "postal_code", "address", "preferred_size", "consent",
                  # issue 8
                  "city", "birthday", "gender", "language", "time_zone", "preferred_channel", "sizes", "interests", "addresses",
                  "erased_at"]

    @extend_schema_field(ConsentStateSerializer)
    def get_consent(self, customer: Customer) -> dict[str, bool]:
        """Current opt-in per marketing channel (the latest consent ledger row wins)."""
        return consent_state(customer=customer)


class CustomerEventSerializer(serializers.ModelSerializer):
    """One event of the timeline; pass events through ``selectors.events_labelled`` first (the
    subject labels of a page are resolved together)."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject_label = serializers.SerializerMethodField(
        help_text=_("What the event is about, as people read it: “Order W00004348”, “Product HONEY-0168-1”."))
    subject_detail = serializers.SerializerMethodField(
        help_text=_("What the subject's key does not say: the product's name, which email."))

    class Meta:
        model = CustomerEvent
        fields = ["id", "kind", "kind_label", "occurred_at", "channel", "location", "interaction", "subject",
                  "subject_label", "subject_detail", "data", "campaign", "utm_source", "utm_medium", "utm_campaign",
                  "utm_content", "utm_term"]

    def get_subject_label(self, event: CustomerEvent) -> str:
        label = event.subject_label
        return label.text if label else ""

    def get_subject_detail(self, event: CustomerEvent) -> str:
        label = event.subject_label
        return label.detail if label else ""


class StaffEventInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in STAFF_EVENT_KINDS])
    interaction = serializers.ChoiceField(choices=InteractionChannel.choices, help_text=_(
        "How it happened: phone, chat, store (in person; a store visit always is) or social_dm."))
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "Required for a staff note; a store visit is recorded at the staff member's store."))


class CustomerProfileInSerializer(serializers.Serializer):
    """A customer's profile as staff correct it (PATCH: only the fields sent change). The email is
    the login and is not changed here; the rules (furigana in katakana, postal code, phone) are
    ``customer_update_profile``'s, as in the console."""

    family_name = serializers.CharField(max_length=60, required=False)
    given_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    family_name_kana = serializers.CharField(max_length=60, required=False, allow_blank=True)
    given_name_kana = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    prefecture = serializers.ChoiceField(choices=Prefecture.choices, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    favourite_location = serializers.SlugRelatedField(
        slug_field="code", queryset=Location.objects.stores(), required=False, allow_null=True,
        help_text=_("Code of a store, or null."))
    preferred_size = serializers.CharField(max_length=20, required=False, allow_blank=True)
    # issue 8: the rest of the profile, the preferences and the address book
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                      help_text=_("IANA name, e.g. Asia/Tokyo; empty: the shop's."))
    preferred_channel = serializers.ChoiceField(choices=CONTACT_CHANNEL_CHOICES, required=False, allow_blank=True)
    sizes = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=40), required=False,
                                  help_text=_('By kind, e.g. {"tops": "M", "shoes": "24.5"}.'))
    interests = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=30)
    addresses = CustomerAddressSerializer(many=True, required=False, help_text=_(
        "The whole address book: replaces the stored one. The first is the default unless one says so."))


class CustomerCreateInSerializer(CustomerProfileInSerializer):
    """A new customer record: the family name is required, the email optional (``customer_create``)."""

    family_name = serializers.CharField(max_length=60)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)


class CustomerEmailInSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, allow_blank=True, help_text=_(
        "The new address; empty removes it (not for a customer with an account)."))


class ConsentInSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    granted = serializers.BooleanField(help_text=_("true: opted in; false: opted out."))


# --- importing customers from another system (customers_import) ----------------------------

# The most rows one request may carry: a bigger export is sent in several requests.
IMPORT_MAX_ROWS = 1000


class ConsentImportInSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=20, help_text=_("A consent channel, e.g. email or line."))
    purpose = serializers.CharField(max_length=20, required=False, default="marketing",
                                    help_text=_("What the consent is for (default: marketing)."))
    granted = serializers.BooleanField(help_text=_("true: opted in; false: opted out."))
    at = serializers.DateTimeField(help_text=_("When the customer made the choice (with its time zone)."))
    source = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                   help_text=_("Where the choice was made; empty: the import's source."))


class CustomerImportRowSerializer(serializers.Serializer):
    """One customer as the old system knew them; the rules are ``customers_import``'s."""

    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    family_name = serializers.CharField(max_length=60, allow_blank=True)
    given_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    family_name_kana = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    given_name_kana = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    prefecture = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    favourite_location = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                               help_text=_("Code of a store, or empty."))
    preferred_size = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    created_at = serializers.DateTimeField(help_text=_("Customer since (with its time zone)."))
    consents = ConsentImportInSerializer(many=True, required=False, default=list,
                                         help_text=_("The consent ledger, oldest first."))


class CustomerImportInSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=60, help_text=_("Names the import, e.g. shopify-2026-11."))
    rows = CustomerImportRowSerializer(many=True, allow_empty=False, max_length=IMPORT_MAX_ROWS)


class ImportedCustomerSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_null=True)


class CustomerImportOutSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    customers = ImportedCustomerSerializer(many=True)
