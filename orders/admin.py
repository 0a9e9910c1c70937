from django.contrib import admin

from .models import Fulfillment, Order, OrderEvent, OrderLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "product_name", "variant_label", "quantity", "unit_price", "tax_rate", "line_total"]
    readonly_fields = fields


class FulfillmentInline(ReadOnlyInline):
    model = Fulfillment
    fields = ["method", "location", "status", "pickup_code", "ready_at", "closed_at"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fk_name = "order"
    fields = ["created_at", "kind", "from_status", "to_status", "acting_user"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders change only through the order services (console and API); admin is for reading."""

    list_display = ["number", "created_at", "channel", "customer", "status", "total", "payment_status"]
    list_filter = ["status", "channel", "payment_status"]
    search_fields = ["number", "email", "name", "phone"]
    list_select_related = ["channel", "customer"]
    date_hierarchy = "created_at"
    inlines = [FulfillmentInline, OrderLineInline, OrderEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would leave its stock held and its events gone: cancel it instead


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "order", "kind", "from_status", "to_status", "acting_user"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order", "acting_user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
