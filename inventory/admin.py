from django.contrib import admin

from .models import Location, Product, ProductImage, Reservation, StockLevel, StockMovement, Variant


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and service-owned rows: visible to administrators, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "prefecture", "offers_pickup", "ships_orders", "is_active"]
    list_filter = ["kind", "offers_pickup", "ships_orders", "is_active"]
    search_fields = ["code", "name"]


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ["sku", "size", "color", "barcode", "price", "position"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["original", "alt", "position", "width", "height"]
    readonly_fields = ["width", "height"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "tax_class", "stock_policy", "is_active"]
    list_filter = ["is_active", "tax_class", "stock_policy", "category"]
    search_fields = ["code", "name", "variants__sku"]
    inlines = [VariantInline, ProductImageInline]


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
