from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import F, Func, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from .audit import audit_action_label
from .deliveries import delivery_release
from .models import (
    AuditEntry,
    Channel,
    ConsumerCursor,
    Delivery,
    DeliveryStatus,
    DomainEvent,
    IdempotencyRecord,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "location", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "location"]
    search_fields = ["email", "display_name"]
    list_select_related = ["location"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "language", "location"]}),
        (_("Roles and permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                                  "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "display_name", "location", "password1",
                                                              "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]

    # Only a superuser hands out superuser status or single permissions: an administrator
    # (staff with the change_user permission) must not be able to raise anyone, themselves
    # included, above the roles. Roles (groups) stay editable: that is their job.
    SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in self.SUPERUSER_ONLY_FIELDS if name not in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        """A superuser's account (its email, password, status) is changed by superusers only."""
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "location", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["location"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "endpoint", "user", "status_code", "created_at"]
    search_fields = ["key"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditActionFilter(admin.SimpleListFilter):
    """The trail's actions, each by its declared label (``kernel.audit``), not its service name."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return sorted(((action, audit_action_label(action)) for action in actions), key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail: who changed the catalogue, the locations and customer profiles. Read-only."""

    list_display = ["created_at", "actor", "action_label", "object_type", "object_repr"]
    list_filter = [AuditActionFilter, "object_type"]
    fields = ["created_at", "actor", "action_label", "object_type", "object_id", "object_repr", "changes"]
    readonly_fields = fields
    search_fields = ["object_repr", "object_id", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj):
        return audit_action_label(obj.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery ledger, read-only. Status "Unknown" lists the messages a worker died while
    sending (kernel.deliveries): staff check with the customer, then may release one to be sent again."""

    list_display = ["claimed_at", "message_key", "recipient", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    search_fields = ["message_key", "recipient", "transport_id"]
    date_hierarchy = "claimed_at"
    actions = ["release"]

    def has_add_permission(self, request):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("omnishop.change_delivery")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again on the next run (messages of unknown outcome)"),
                  permissions=["release"])
    def release(self, request, queryset):
        released = sum(delivery_release(delivery=row, acting_user=request.user)
                       for row in queryset.filter(status=DeliveryStatus.UNKNOWN))
        self.message_user(request, _("%(count)d deliveries released.") % {"count": released})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledgers and service-owned rows (outbox, stock ledger, consent ledger, ...): visible to
    administrators, never written in the admin. Every app's read-only admins use this one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    """The domain event outbox, read-only."""

    list_display = ["id", "type", "subject", "created_at", "actor"]
    list_filter = ["type"]
    search_fields = ["subject"]
    list_select_related = ["actor"]
    show_full_result_count = False


@admin.register(ConsumerCursor)
class ConsumerCursorAdmin(ReadOnlyAdmin):
    """Where each consumer of the domain events stands, and how many events wait for it."""

    list_display = ["consumer", "last_event_id", "lag", "handled", "updated_at"]
    search_fields = ["consumer"]

    def get_queryset(self, request):
        # The lag of every cursor on the page in the page's one query (a correlated count).
        waiting = (DomainEvent.objects.filter(pk__gt=OuterRef("last_event_id")).order_by()
                   .annotate(n=Func(F("pk"), function="COUNT")).values("n"))
        return super().get_queryset(request).annotate(lag=Subquery(waiting))

    @admin.display(description=_("events waiting"), ordering="lag")
    def lag(self, obj):
        return obj.lag
