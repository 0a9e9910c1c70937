"""API shapes of the inventory domain. Writes go through inventory.services."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from brandkit.serializers import ViolationSerializer
from kernel.models import Location, LocationKind

from .models import (
    AvailabilityLevel,
    Product,
    ProductImage,
    StockLevel,
    StockMovement,
    StockPolicy,
    TaxClass,
    Variant,
)
from .services import PRODUCT_EDITABLE_FIELDS
from .validators import normalize_barcode


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["code", "name", "kind", "postal_code", "prefecture", "address", "phone", "opening_hours",
                  "offers_pickup", "ships_orders"]


class VariantSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Variant
        fields = ["sku", "product", "size", "color", "barcode", "price", "currency"]


class NestedVariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["sku", "size", "color", "barcode", "price", "currency"]


class ProductImageSerializer(serializers.ModelSerializer):
    original = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    large = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["original", "thumbnail", "large", "alt", "width", "height"]

    def _url(self, field) -> str | None:
        if not field:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(field.url) if request else field.url

    def get_original(self, image: ProductImage) -> str | None:
        return self._url(image.original)

    def get_thumbnail(self, image: ProductImage) -> str | None:
        return self._url(image.thumbnail)

    def get_large(self, image: ProductImage) -> str | None:
        return self._url(image.large)


class ProductSerializer(serializers.ModelSerializer):
    variants = NestedVariantSerializer(many=True, read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)
    tax_rate = serializers.IntegerField(read_only=True)

    class Meta:
        model = Product
        fields = ["code", "name", "description", "category", "tax_class", "tax_rate", "stock_policy", "is_active",
                  "variants", "images", "created_at", "updated_at"]


class VariantInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    barcode = serializers.CharField(max_length=20)
    price = serializers.IntegerField(min_value=0, help_text=_("Integer yen, tax included."))
    size = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    color = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class ProductCreateSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tax_class = serializers.ChoiceField(choices=TaxClass.choices, default=TaxClass.STANDARD)
    stock_policy = serializers.ChoiceField(choices=StockPolicy.choices, default=StockPolicy.NORMAL)
    is_active = serializers.BooleanField(default=True)
    variants = VariantInSerializer(many=True, allow_empty=False)


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)
    product = serializers.CharField(source="variant.product.code", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)
    available = serializers.IntegerField(read_only=True, help_text=_("on_hand - reserved - safety_stock, at least 0."))

    class Meta:
        model = StockLevel
        fields = ["id", "sku", "product", "location", "zone", "on_hand", "reserved", "safety_stock", "available",
                  "updated_at"]


# --- public availability (levels, never unit counts) ---------------------------------------

class VariantAvailabilitySerializer(serializers.Serializer):
    sku = serializers.CharField(source="variant.sku")
    size = serializers.CharField(source="variant.size")
    color = serializers.CharField(source="variant.color")
    availability = serializers.ChoiceField(source="level", choices=AvailabilityLevel.choices, help_text=_(
        "in_stock, few_left (at most a couple of units), to_order (none here, but the product can be "
        "ordered: backorder or pre-order) or out_of_stock."))
    availability_label = serializers.CharField(source="level.label", help_text=_("The level in words."))


# Points at the enum component drf-spectacular makes for ``Location.kind``: a second "kind" enum
# with the same choices in another component would make it fall back to a hashed name with a
# warning. (If the name ever changes, the schema tests report the dangling reference.)
@extend_schema_field({"$ref": "#/components/schemas/LocationKindEnum"})
class LocationKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=LocationKind.choices, **kwargs)


class LocationAvailabilitySerializer(serializers.Serializer):
    code = serializers.CharField(source="location.code")
    name = serializers.CharField(source="location.name")
    kind = LocationKindField(source="location.kind")
    offers_pickup = serializers.BooleanField(source="location.offers_pickup")
    availability = serializers.ChoiceField(source="level", choices=AvailabilityLevel.choices, help_text=_(
        "The best level of the variants listed: in stock if any of them is."))
    availability_label = serializers.CharField(source="level.label", help_text=_("The level in words."))
    variants = VariantAvailabilitySerializer(many=True)


class ProductAvailabilitySerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code", help_text=_("Product code"))
    locations = LocationAvailabilitySerializer(many=True)


class StockReceiptSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    location = serializers.CharField(max_length=40, help_text=_("Location code."))
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_sku(self, value: str) -> Variant:
        variant = Variant.objects.select_related("product").filter(sku=value.strip()).first()
        if variant is None:
            raise serializers.ValidationError(_("Unknown SKU: %(sku)s") % {"sku": value})
        return variant

    def validate_location(self, value: str) -> Location:
        location = Location.objects.active().filter(code=value.strip()).first()
        if location is None:
            raise serializers.ValidationError(_("Unknown location: %(code)s") % {"code": value})
        return location


class StockMovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku", read_only=True)
    location = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockMovement
        fields = ["id", "sku", "location", "quantity", "reason", "reference", "note", "created_at"]


# --- editing the catalogue -----------------------------------------------------------------

class ProductSavedSerializer(ProductSerializer):
    """A product just created or changed, with the brand kit's remarks on its description."""

    lint = ViolationSerializer(many=True, read_only=True, help_text=_(
        "The brand kit's warnings on the description (saved anyway); errors refuse the save with a 400."))

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "lint"]


class ProductUpdateSerializer(serializers.Serializer):
    """PATCH body: any of the editable fields. The code (in web addresses and the API) and the
    variants (added through ``variants/``) cannot be changed here."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tax_class = serializers.ChoiceField(choices=TaxClass.choices, required=False)
    stock_policy = serializers.ChoiceField(choices=StockPolicy.choices, required=False)
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if hasattr(self.initial_data, "keys"):
            fixed = sorted(set(self.initial_data.keys()) - PRODUCT_EDITABLE_FIELDS)
            if fixed:
                raise serializers.ValidationError({name: [_("This field cannot be changed here.")] for name in fixed})
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."))
        return attrs


class ProductImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("A JPEG, PNG or WebP photo, at most 10 MB."))
    alt = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                help_text=_("Text alternative; defaults to the product name."))


class StockAdjustmentSerializer(serializers.Serializer):
    """A correction of on-hand stock (damage, loss, a miscount, units found), by SKU or barcode."""

    sku = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    barcode = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                    help_text=_("JAN / EAN-13, instead of the SKU."))
    location = serializers.CharField(max_length=40, help_text=_("Location code."))
    quantity = serializers.IntegerField(min_value=-100_000, max_value=100_000, help_text=_(
        "Signed: negative takes units off (damaged, lost), positive adds units found. Not zero."))
    note = serializers.CharField(max_length=200, help_text=_("The reason, kept in the stock ledger."))

    validate_location = StockReceiptSerializer.validate_location

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError(_("An adjustment must change the quantity."))
        return value

    def validate(self, attrs):
        sku, barcode = attrs["sku"].strip(), normalize_barcode(attrs["barcode"])
        if not sku and not barcode:
            raise serializers.ValidationError({"sku": [_("Give the SKU or the barcode.")]})
        variants = Variant.objects.select_related("product")
        variant = None
        if sku:
            variant = variants.filter(sku=sku).first()
            if variant is None:
                raise serializers.ValidationError({"sku": [_("Unknown SKU: %(sku)s") % {"sku": sku}]})
        if barcode:
            by_barcode = variants.filter(barcode=barcode).first()
            if by_barcode is None:
                raise serializers.ValidationError(
                    {"barcode": [_("No variant has the barcode %(barcode)s.") % {"barcode": barcode}]})
            if variant is not None and by_barcode.pk != variant.pk:
                raise serializers.ValidationError({"barcode": [_("This barcode belongs to another SKU.")]})
            variant = by_barcode
        attrs["variant"] = variant
        return attrs


# --- zones and bins ------------------------------------------------------------------------------

class ZoneRowSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=60, allow_blank=True,
                                 help_text=_("The item's SKU or its JAN / EAN-13 barcode."))
    zone = serializers.CharField(max_length=60, allow_blank=True, help_text=_(
        "Its zone / bin at the location (\"A-03\": bin 03 of zone A), at most 30 characters once normalised "
        "(full-width to half-width, upper case); empty clears it."))


class StockZonesSerializer(serializers.Serializer):
    """Zones / bins set at one location, all or nothing."""

    location = serializers.CharField(max_length=40, help_text=_("Location code."))
    rows = ZoneRowSerializer(many=True, allow_empty=False, max_length=5000)

    validate_location = StockReceiptSerializer.validate_location
