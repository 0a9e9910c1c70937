"""REST endpoints of the inventory domain: catalogue, locations, stock levels, receipts."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from kernel import roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_422,
    IDEMPOTENCY_PARAMETER,
    ActionPermission,
    ErrorSerializer,
    Pagination,
    idempotent,
    invalid_response,
)
from kernel.models import Location, LocationKind
from kernel.throttling import AnonRateThrottle

from . import selectors, services
from .models import LOW_STOCK_THRESHOLD, Product, ProductImage, StockLevel, Variant
from .serializers import (
    LocationSerializer,
    ProductAvailabilitySerializer,
    ProductCreateSerializer,
    ProductImageSerializer,
    ProductImageUploadSerializer,
    ProductSavedSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    StockAdjustmentSerializer,
    StockLevelSerializer,
    StockMovementSerializer,
    StockReceiptSerializer,
    StockZonesSerializer,
    VariantInSerializer,
    VariantSerializer,
)


def _sees_whole_catalogue(user) -> bool:
    return user.has_perm("inventory.view_product")


# --- the public catalogue ----------------------------------------------------------------
# The storefront shows published products, their prices and each store's stock level to
# anyone, so the API reads of the same things need no account either. Writes, unpublished
# products and stock counts (stock-levels) still need a role.

class PublicCatalogueThrottle(AnonRateThrottle):
    """Anonymous callers of the public catalogue reads, per client address (counted atomically,
    see ``kernel.throttling``). The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    ["public_catalogue"]`` when set. Signed-in callers are not throttled here."""

    scope = "public_catalogue"
    default_rate = "120/minute"


ERROR_429 = OpenApiResponse(ErrorSerializer, description="Too many anonymous requests from this address; "
                                                         "retry after the number of seconds in Retry-After.")


class PublicReadsMixin:
    """``public_actions`` are open to anyone (throttled); every other action keeps ``ActionPermission``."""

    public_actions: tuple[str, ...] = ()

    def get_permissions(self):
        if self.action in self.public_actions:
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action in self.public_actions:
            return [PublicCatalogueThrottle()]
        return super().get_throttles()


# The product services check descriptions against the brand kit; the check is logged under this source.
LINT_SOURCE = "product-api"


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search name, code, category or exact SKU")
    category = django_filters.CharFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Product
        fields = ["q", "category", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


@extend_schema(tags=["products"])
@extend_schema_view(
    list=extend_schema(summary="List products with their variants and images",
                       description="Public: no account needed (anonymous callers are throttled). Catalogue "
                                   "staff see unpublished products too; everyone else the published ones."),
    retrieve=extend_schema(summary="One product by code",
                           description="Public, like the list.",
                           responses={200: ProductSerializer, 404: ERROR_404, 429: ERROR_429}),
)
class ProductViewSet(PublicReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Products. Catalogue staff see unpublished products too; everyone else sees the published ones."""

    serializer_class = ProductSerializer
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = ProductFilter
    ordering_fields = ["name", "code", "created_at"]
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": None,
        "retrieve": None,
        "create": "inventory.manage_catalogue",
        "partial_update": "inventory.manage_catalogue",
        "add_variant": "inventory.manage_catalogue",
        "add_image": "inventory.manage_catalogue",
    }
    public_actions = ("list", "retrieve", "availability")

    def get_queryset(self):
        products = Product.objects.all()
        if not _sees_whole_catalogue(self.request.user):
            products = products.published()
        if self.action == "availability":
            return products.prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("position", "id")))
        return products.prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        ).order_by("name", "id")

    def _saved(self, product: Product, lint: list, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.get_queryset().get(pk=product.pk)
        product.lint = lint
        return Response(ProductSavedSerializer(product, context=self.get_serializer_context()).data,
                        status=status_code)

    @extend_schema(
        summary="Create a product with its variants",
        description="The description is checked against the brand kit: errors refuse the product (400 on "
                    "`description`), warnings come back in `lint`.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ProductCreateSerializer,
        responses={201: ProductSavedSerializer, 400: ERROR_400, 403: ERROR_403, 422: ERROR_422},
    )
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = ProductCreateSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = dict(incoming.validated_data)
            variants = [services.VariantIn(**item) for item in data.pop("variants")]
            product = services.product_create(variants=variants, lint_source=LINT_SOURCE, acting_user=request.user,
                                              **data)
            return self._saved(product, product.lint_warnings, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="products.create", handler=handler)

    @extend_schema(
        summary="Change a product's details",
        description="Name, description, category, tax class, stock policy, publishing. The code and the "
                    "variants are not changed here. The description is checked against the brand kit like in "
                    "the console: errors refuse the change (400 on `description`), warnings come back in `lint`.",
        request=ProductUpdateSerializer,
        responses={200: ProductSavedSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    def partial_update(self, request, *args, **kwargs):
        product = self.get_object()
        incoming = ProductUpdateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fields = dict(incoming.validated_data)
        try:
            services.product_update(product=product, lint_source=LINT_SOURCE, acting_user=request.user, **fields)
        except ValueError as exc:  # a field the service does not own: the serializer should have refused it
            return invalid_response({name.strip(): [_("This field cannot be changed here.")]
                                     for name in str(exc).split(",")})
        return self._saved(product, product.lint_warnings)

    @extend_schema(
        summary="Add a variant (size / colour) to a product",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=VariantInSerializer,
        responses={201: VariantSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 422: ERROR_422},
    )
    @action(detail=True, methods=["post"], url_path="variants")
    def add_variant(self, request, code=None):
        product = self.get_object()

        def handler():
            incoming = VariantInSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            variant = services.variant_add(product=product, acting_user=request.user, **incoming.validated_data)
            return Response(VariantSerializer(variant).data, status=status.HTTP_201_CREATED)

        return idempotent(request, endpoint=f"products.{product.pk}.variants", handler=handler)

    @extend_schema(
        summary="Upload a product photo (multipart)",
        description="Pillow checks the file and makes the WebP renditions (thumbnail, large). Files that are "
                    "not images, larger than 10 MB or with too many pixels are refused with a 400 on `image`.",
        request={"multipart/form-data": ProductImageUploadSerializer},
        responses={201: ProductImageSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"], url_path="images", parser_classes=[MultiPartParser, FormParser])
    def add_image(self, request, code=None):
        product = self.get_object()
        incoming = ProductImageUploadSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        image = services.product_image_add(product=product, upload=data["image"], alt=data["alt"].strip(),
                                           acting_user=request.user)
        return Response(ProductImageSerializer(image, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Stock level of a product at each store and pickup point",
        description="Public: no account needed (anonymous callers are throttled). For every active store, "
                    "pop-up and pickup point, the same levels the product page shows (in stock, few left, "
                    "available to order, out of stock), per variant and for the location as a whole. Unit "
                    "counts are not given; staff read them from `stock-levels`.",
        parameters=[OpenApiParameter("sku", str, OpenApiParameter.QUERY, required=False,
                                     description="Only this variant of the product.")],
        responses={200: ProductAvailabilitySerializer, 400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
    )
    @action(detail=True, methods=["get"], url_path="availability", filter_backends=[], pagination_class=None)
    def availability(self, request, code=None):
        product = self.get_object()
        variants = None
        sku = request.query_params.get("sku", "").strip()
        if sku:
            variants = [variant for variant in product.variants.all() if variant.sku == sku]
            if not variants:
                raise serializers.ValidationError({"sku": [_("This product has no variant %(sku)s.") % {"sku": sku}]})
        locations = selectors.public_availability(product=product, variants=variants)
        return Response(ProductAvailabilitySerializer({"product": product, "locations": locations}).data)


class VariantFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter()
    barcode = django_filters.CharFilter()
    product = django_filters.CharFilter(field_name="product__code", label="Product code")

    class Meta:
        model = Variant
        fields = ["sku", "barcode", "product"]


@extend_schema(tags=["products"])
@extend_schema_view(
    list=extend_schema(summary="List variants (filter by sku, barcode, product code)",
                       description="Public: no account needed (anonymous callers are throttled); variants of "
                                   "unpublished products only for catalogue staff."),
    retrieve=extend_schema(summary="One variant by SKU", description="Public, like the list.",
                           responses={200: VariantSerializer, 404: ERROR_404, 429: ERROR_429}),
)
class VariantViewSet(PublicReadsMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = VariantSerializer
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"
    filterset_class = VariantFilter
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": None, "retrieve": None}
    public_actions = ("list", "retrieve")

    def get_queryset(self):
        variants = Variant.objects.select_related("product")
        if not _sees_whole_catalogue(self.request.user):
            variants = variants.filter(product__is_active=True)
        return variants.order_by("product__name", "product_id", "position", "id")


class LocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LocationKind.choices)
    offers_pickup = django_filters.BooleanFilter()
    ships_orders = django_filters.BooleanFilter()

    class Meta:
        model = Location
        fields = ["kind", "offers_pickup", "ships_orders"]


@extend_schema(tags=["locations"])
@extend_schema_view(
    list=extend_schema(summary="List active locations"),
    retrieve=extend_schema(summary="One location by code", responses={200: LocationSerializer, 404: ERROR_404}),
)
class LocationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LocationSerializer
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = LocationFilter
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": None, "retrieve": None}

    def get_queryset(self):
        return Location.objects.active().order_by("kind", "code")


class StockLevelFilter(django_filters.FilterSet):
    location = django_filters.CharFilter(field_name="location__code", label="Location code")
    sku = django_filters.CharFilter(field_name="variant__sku")
    product = django_filters.CharFilter(field_name="variant__product__code", label="Product code")
    low = django_filters.BooleanFilter(method="filter_low",
                                       label=f"Only rows with at most {LOW_STOCK_THRESHOLD} available")

    class Meta:
        model = StockLevel
        fields = ["location", "sku", "product", "low"]

    def filter_low(self, queryset, name, value):
        if value:
            return queryset.filter(available_qty__lte=LOW_STOCK_THRESHOLD)
        return queryset.filter(available_qty__gt=LOW_STOCK_THRESHOLD)


@extend_schema(tags=["stock"])
@extend_schema_view(
    list=extend_schema(summary="Stock per variant and location (scoped users: their location only)",
                       responses={200: StockLevelSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One stock level",
                           responses={200: StockLevelSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": "inventory.view_stocklevel", "retrieve": "inventory.view_stocklevel"}

    def get_queryset(self):
        return selectors.stock_levels(locations=roles.scoped_locations(self.request.user))


@extend_schema(tags=["stock"])
class StockReceiptViewSet(viewsets.GenericViewSet):
    """Goods received at a location: on_hand grows through one ledger row."""

    serializer_class = StockReceiptSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"create": "inventory.add_stockmovement"}

    @extend_schema(
        summary="Receive stock at a location",
        request=StockReceiptSerializer,
        responses={201: StockMovementSerializer, 400: ERROR_400, 403: ERROR_403, 422: ERROR_422},
    )
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = StockReceiptSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            roles.require_location(request.user, data["location"])
            movement = services.stock_receive(
                variant=data["sku"], location=data["location"], quantity=data["quantity"],
                reference=data["reference"], note=data["note"], acting_user=request.user,
            )
            return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

        return idempotent(request, endpoint="stock-receipts.create", handler=handler)


@extend_schema(tags=["stock"])
class StockAdjustmentViewSet(viewsets.GenericViewSet):
    """Corrections of on-hand stock: one signed ledger row; never below the units reserved for orders."""

    serializer_class = StockAdjustmentSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"create": "inventory.add_stockmovement"}

    @extend_schema(
        summary="Adjust stock at a location (damage, loss, units found)",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=StockAdjustmentSerializer,
        responses={201: StockMovementSerializer, 400: ERROR_400, 403: ERROR_403,
                   409: OpenApiResponse(ErrorSerializer, description="Would take units reserved for orders."),
                   422: ERROR_422},
    )
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = StockAdjustmentSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            roles.require_location(request.user, data["location"])
            movement = services.stock_adjust(
                variant=data["variant"], location=data["location"], quantity=data["quantity"],
                note=data["note"].strip(), acting_user=request.user,
            )
            return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

        return idempotent(request, endpoint="stock-adjustments.create", handler=handler)


@extend_schema(tags=["stock"])
class StockZoneViewSet(viewsets.GenericViewSet):
    """Where items sit at a location (zone / bin): what pick lists are grouped and walked by."""

    serializer_class = StockZonesSerializer
    queryset = StockLevel.objects.none()  # for the schema: every write goes through stock_zones_set
    permission_classes = [ActionPermission]
    action_permissions = {"create": "inventory.set_stock_zone"}

    @extend_schema(
        summary="Set the zone / bin of items at a location (one or many rows, all or nothing)",
        request=StockZonesSerializer,
        responses={200: StockLevelSerializer(many=True),
                   400: OpenApiResponse(ErrorSerializer, description=(
                       "A bad row: every one is named under errors as rows.<index>.code or rows.<index>.zone; "
                       "no zone was changed.")),
                   403: ERROR_403},
    )
    def create(self, request, *args, **kwargs):
        incoming = StockZonesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        roles.require_location(request.user, data["location"])
        levels = services.stock_zones_set(
            location=data["location"], rows=[services.ZoneIn(code=row["code"], zone=row["zone"]) for row in data["rows"]],
            acting_user=request.user)
        return Response(StockLevelSerializer(levels, many=True).data)
