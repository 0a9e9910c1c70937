from django.contrib import admin

from .models import ConsentRecord, Customer, CustomerEvent


class AppendOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ConsentInline(AppendOnlyInline):
    model = ConsentRecord
    fields = ["created_at", "channel", "granted", "source", "acting_user"]
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "family_name_kana", "given_name_kana", "email", "phone", "created_at"]
    search_fields = ["family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone"]
    list_select_related = ["favourite_location"]
    raw_id_fields = ["user"]
    inlines = [ConsentInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "channel", "granted", "source", "acting_user"]
    list_filter = ["channel", "granted"]
    search_fields = ["customer__email", "source"]
    list_select_related = ["customer", "acting_user"]


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "customer", "kind", "channel", "location", "subject"]
    list_filter = ["kind", "channel"]
    search_fields = ["customer__email", "subject"]
    list_select_related = ["customer", "channel", "location"]
    date_hierarchy = "occurred_at"
