import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from kernel.admin import ReadOnlyAdmin

from . import services
from .errors import CustomerNotDeletable
from .models import BrowserConsent, ConsentRecord, Customer, CustomerEvent, FilteredEventCount


class AppendOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ConsentInline(AppendOnlyInline):
    model = ConsentRecord
    fields = ["created_at", "channel", "purpose", "granted", "source", "source_detail", "acting_user", "ip_address"]
    readonly_fields = fields


class CustomerAdminForm(forms.ModelForm):
    """Shows the services' rules as form errors (the email's, the profile's) instead of a
    failed save: ``customer_email_clean`` and ``customer_profile_errors`` are what the services run."""

    class Meta:
        model = Customer
        fields = ["email", *sorted(services.PROFILE_FIELDS)]

    def _post_clean(self):
        super()._post_clean()
        if "email" in self.changed_data and "email" not in self._errors:
            try:
                self.cleaned_data["email"] = services.customer_email_clean(
                    email=self.cleaned_data.get("email"), customer=self.instance if self.instance.pk else None)
            except ValidationError as exc:
                self.add_error("email", exc.message_dict["email"])
        profile = {name: self.cleaned_data[name] for name in services.PROFILE_FIELDS
                   if name in self.cleaned_data and (name in self.changed_data or self.instance.pk is None)}
        probe = copy.copy(self.instance)
        for field, messages_ in services.customer_profile_errors(customer=probe, fields=profile).items():
            if field == "email" or (field in self.fields and field in self._errors):
                continue  # the email's own check above, or the form already says it
            self.add_error(field if field in self.fields else None, messages_)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Every write goes through the customers services, as in the console: a new record through
    ``customer_create``, the profile through ``customer_update_profile``, the email through
    ``customer_email_change`` (also the login of a customer with an account), removal through
    ``customer_delete`` (refused for a customer with orders or an account). The account link is
    made by sign-up, read-only here."""

    form = CustomerAdminForm
    list_display = ["__str__", "family_name_kana", "given_name_kana", "email", "phone", "created_at"]
    search_fields = ["family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone"]
    list_select_related = ["favourite_location"]
    readonly_fields = ["user"]
    inlines = [ConsentInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {name: data[name] for name in services.PROFILE_FIELDS if name in data}
            created = services.customer_create(email=data.get("email"), acting_user=request.user, **fields)
            obj.pk = created.pk
            obj._state.adding = False
            obj._state.db = created._state.db
            return
        if "email" in form.changed_data:
            services.customer_email_change(customer=Customer.objects.get(pk=obj.pk), email=data["email"],
                                           acting_user=request.user)
        fields = {name: data[name] for name in form.changed_data if name in services.PROFILE_FIELDS}
        if fields:
            # the stored record, so that the audit compares the stored values with the new ones
            services.customer_update_profile(customer=Customer.objects.get(pk=obj.pk), acting_user=request.user,
                                             **fields)

    def get_deleted_objects(self, objs, request):
        """The consent ledger and the timeline go with a customer entered by mistake (the
        service deletes them); their own admin pages stay read-only."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed -= {ConsentRecord._meta.verbose_name, CustomerEvent._meta.verbose_name}
        return deleted, counts, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CustomerNotDeletable as exc:
            messages.error(request, exc.detail())
            return HttpResponseRedirect(reverse("admin:customers_customer_change", args=[object_id]))

    def delete_model(self, request, obj):
        services.customer_delete(customer=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            try:
                services.customer_delete(customer=customer, acting_user=request.user)
            except CustomerNotDeletable as exc:
                messages.error(request, f"#{customer.pk}: {exc.detail()}")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "channel", "purpose", "granted", "source", "source_detail", "acting_user",
                    "ip_address"]
    list_filter = ["channel", "purpose", "granted", "source"]
    search_fields = ["customer__email", "source_detail"]
    list_select_related = ["customer", "acting_user"]


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "customer", "kind", "channel", "location", "interaction", "subject"]
    list_filter = ["kind", "channel", "interaction"]
    search_fields = ["customer__email", "subject", "browser_id"]
    list_select_related = ["customer", "channel", "location"]
    date_hierarchy = "occurred_at"


# --- first-party events (customers.tracking) ------------------------------------------------

@admin.register(BrowserConsent)
class BrowserConsentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "browser_id", "purpose", "granted", "source", "ip_address"]
    list_filter = ["purpose", "granted"]
    search_fields = ["browser_id"]


@admin.register(FilteredEventCount)
class FilteredEventCountAdmin(ReadOnlyAdmin):
    list_display = ["day", "reason", "count"]
    list_filter = ["reason"]
