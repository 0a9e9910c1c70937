from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kernel.models import Location

from . import services
from .models import Product, ProductImage, Reservation, StockLevel, StockMovement, Variant


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and service-owned rows: visible to administrators, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The fields of a new location the admin form hands to ``services.location_create``.
LOCATION_FIELDS = ("code", "name", "kind", "prefecture", "postal_code", "address", "phone", "opening_hours",
                   "offers_pickup", "ships_orders", "is_active")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "prefecture", "offers_pickup", "ships_orders", "is_active"]
    list_filter = ["kind", "offers_pickup", "ships_orders", "is_active"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        """New locations are created by ``location_create`` (a store or pop-up gets its POS
        channel); edits of an existing location are saved as usual."""
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: form.cleaned_data[name] for name in LOCATION_FIELDS if name in form.cleaned_data}
        created = services.location_create(acting_user=request.user, **fields)
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "size", "color", "barcode", "price", "position"]


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
    list_display = ["code", "name", "category", "tax_class", "stock_policy", "is_active"]
    list_filter = ["is_active", "tax_class", "stock_policy", "category"]
    search_fields = ["code", "name", "variants__sku"]
    inlines = [VariantInline, ProductImageInline]
    readonly_fields = ["photo_upload"]

    @admin.display(description=_("photos"))
    def photo_upload(self, product: Product):
        if product.pk is None:
            return _("Save the product first, then add photos in the console.")
        return format_html('<a href="{}">{}</a>', reverse("console:product_edit", kwargs={"code": product.code}),
                           _("Add photos in the console"))


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["variant", "location", "on_hand", "reserved", "safety_stock", "updated_at"]
    list_filter = ["location"]
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
