from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kernel.admin import ReadOnlyAdmin
from kernel.models import Location

from . import services
from .errors import VariantInUse
from .models import Product, ProductImage, Reservation, StockLevel, StockMovement, Variant

# The fields of a new location the admin form hands to ``services.location_create``.
LOCATION_FIELDS = ("code", "name", "kind", "prefecture", "postal_code", "address", "phone", "opening_hours",
                   "offers_pickup", "ships_orders", "takes_returns", "is_active")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "prefecture", "offers_pickup", "ships_orders", "takes_returns", "is_active"]
    list_filter = ["kind", "offers_pickup", "ships_orders", "takes_returns", "is_active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # the code names the POS channel

    def save_model(self, request, obj, form, change):
        """Through the services: ``location_create`` (a store or pop-up gets its POS channel) and
        ``location_update``. The form has already run the model's validation the services run."""
        if change:
            fields = _changed(form, services.LOCATION_EDITABLE_FIELDS)
            if fields:
                services.location_update(location=obj, acting_user=request.user, **fields)
            return
        fields = {name: form.cleaned_data[name] for name in LOCATION_FIELDS if name in form.cleaned_data}
        created = services.location_create(acting_user=request.user, **fields)
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db

    def delete_model(self, request, obj):
        services.location_delete(location=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for location in queryset:
            services.location_delete(location=location, acting_user=request.user)


def _changed(form, editable) -> dict:
    """The fields an admin form changed that a service may change."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in editable}


class VariantInline(admin.TabularInline):
    """Existing variants are edited through ``variant_update`` and deleted through
    ``variant_delete`` (refused for one with stock history, holds or orders); the SKU stays (it
    is in carts, orders and the API). New variants are added in the console (``variant_add``)."""

    model = Variant
    extra = 0
    fields = ["sku", "size", "color", "barcode", "price", "position"]
    readonly_fields = ["sku"]

    def has_add_permission(self, request, obj=None):
        return False


class ProductImageInline(admin.TabularInline):
    """Photos are shown here but added in the console: ``product_image_add`` checks the file and
    makes the renditions the storefront shows (a row saved here directly would have none)."""

    model = ProductImage
    extra = 0
    fields = ["preview", "alt", "position", "width", "height"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("photo"))
    def preview(self, image: ProductImage):
        if not image.thumbnail:
            return _("No preview")
        return format_html('<img src="{}" alt="" height="60">', image.thumbnail.url)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Products change through the catalogue services, as in the console and the API: details
    through ``product_update``, variants through ``variant_update``, removal through
    ``product_delete``. The code cannot change; the description, new variants, photos and new
    products are edited in the console, where the brand kit's remarks are shown as staff type."""

    list_display = ["code", "name", "category", "tax_class", "stock_policy", "is_active"]
    list_filter = ["is_active", "tax_class", "stock_policy", "category"]
    search_fields = ["code", "name", "variants__sku"]
    inlines = [VariantInline, ProductImageInline]
    readonly_fields = ["code", "description", "console_link"]

    def has_add_permission(self, request):
        return False  # the console's "new product" page (product_create) is the one way in

    def save_model(self, request, obj, form, change):
        fields = _changed(form, services.PRODUCT_EDITABLE_FIELDS)
        if fields:
            services.product_update(product=obj, acting_user=request.user, **fields)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Variant:
            super().save_formset(request, form, formset, change)
            return
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms
        for row in deleted:
            try:
                services.variant_delete(variant=row.instance, acting_user=request.user)
            except VariantInUse as exc:
                messages.error(request, exc.detail())
            else:
                formset.deleted_objects.append(row.instance)
        for row in formset.initial_forms:
            if row in deleted:
                continue
            fields = _changed(row, services.VARIANT_EDITABLE_FIELDS)
            if fields:
                services.variant_update(variant=row.instance, acting_user=request.user, **fields)
                formset.changed_objects.append((row.instance, list(fields)))

    def delete_model(self, request, obj):
        services.product_delete(product=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for product in queryset:
            services.product_delete(product=product, acting_user=request.user)

    @admin.display(description=_("console"))
    def console_link(self, product: Product):
        return format_html('<a href="{}">{}</a>', reverse("console:product_edit", kwargs={"code": product.code}),
                           _("Edit the description, add variants and photos in the console"))


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["variant", "location", "zone", "on_hand", "reserved", "safety_stock", "updated_at"]
    list_filter = ["location", "zone"]
    search_fields = ["variant__sku"]
    list_select_related = ["variant__product", "location"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reason", "variant", "location", "quantity", "reference", "acting_user"]
    list_filter = ["reason", "location"]
    search_fields = ["variant__sku", "reference"]
    list_select_related = ["variant__product", "location", "acting_user"]
    date_hierarchy = "created_at"


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "variant", "location", "quantity", "status", "created_at", "expires_at"]
    list_filter = ["status", "location"]
    search_fields = ["reference", "variant__sku"]
    list_select_related = ["variant__product", "location"]
