from django.contrib import admin

from . import services
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
    """A customer's profile changes through ``customer_update_profile``, as in the console. The
    email and the account are the identity (the login, the merge key of orders): read-only here.
    Customers come from sign-up, orders and the POS, and stay with their consent ledger."""

    list_display = ["__str__", "family_name_kana", "given_name_kana", "email", "phone", "created_at"]
    search_fields = ["family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone"]
    list_select_related = ["favourite_location"]
    readonly_fields = ["email", "user"]
    inlines = [ConsentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data
                  if name in services.PROFILE_FIELDS}
        if fields:
            services.customer_update_profile(customer=obj, acting_user=request.user, **fields)


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
