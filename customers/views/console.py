"""Console pages of the single customer view: the customer's page, its edit form and staff entries
(the customer list is customers.views.customer_list)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kernel.console import console_view
from kernel.japan import Prefecture
from kernel.models import Location
from kernel.subjects import sku_subject, subject_labels

from .. import engagement, identities, merge, profile, services, tracking
from ..errors import IdentityClaimed, IdentityInUse
from ..models import (
    CONTACT_CHANNEL_CHOICES,
    Customer,
    CustomerScore,
    EventKind,
    Gender,
    IdentityKind,
    InteractionChannel,
)
from ..profile_forms import (
    COMMON_TIME_ZONES,
    InterestsField,
    SizesField,
    StaffAddressForm,
    StaffAddressFormSet,
)
from .consent import console_consent_context


class StaffProfileForm(forms.Form):
    """A customer's profile as staff correct it (the email is the login: not edited here)."""

    family_name = forms.CharField(label=_("Family name"), max_length=60)
    given_name = forms.CharField(label=_("Given name"), max_length=60, required=False)
    family_name_kana = forms.CharField(label=_("Family name (katakana)"), max_length=60, required=False)
    given_name_kana = forms.CharField(label=_("Given name (katakana)"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    postal_code = forms.CharField(label=_("Postal code"), max_length=8, required=False,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "150-0001"}))
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False,
                                   choices=[("", "—")] + list(Prefecture.choices))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    favourite_location = forms.ModelChoiceField(label=_("Favourite store"), required=False,
                                                queryset=Location.objects.stores().order_by("code"), empty_label="—")
    preferred_size = forms.CharField(label=_("Preferred size"), max_length=20, required=False)
    # issue 8: the rest of the profile (customers.profile_forms parses sizes and interests)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices])
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", "—"), *settings.LANGUAGES])
    time_zone = forms.CharField(label=_("Time zone"), max_length=40, required=False,
                                widget=forms.TextInput(attrs={"placeholder": "Asia/Tokyo", "list": "time-zones"}),
                                help_text=_("Empty: the shop's. Campaigns' quiet hours follow it."))
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), required=False,
                                          choices=[("", "—"), *CONTACT_CHANNEL_CHOICES])
    sizes = SizesField(label=_("Sizes"), required=False, help_text=_("One per line, e.g. tops: M, shoes: 24.5."))
    interests = InterestsField(label=_("Interests"), required=False, max_length=1000,
                               help_text=_("Separated by commas."))
    # furigana, phone and postal code are checked by services.customer_update_profile (as for the API)


class StaffEventForm(forms.Form):
    """What staff type; the rules (who may record a store visit, a note needs text) are
    ``services.staff_event_record``'s, as for the API."""

    kind = forms.ChoiceField(label=_("What happened"),
                             choices=[(k.value, k.label) for k in services.STAFF_EVENT_KINDS])
    interaction = forms.ChoiceField(label=_("How"), choices=[("", "—"), *InteractionChannel.choices])
    note = forms.CharField(label=_("Note"), max_length=services.STAFF_NOTE_MAX_LENGTH, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("e.g. tried on the linen shirt in M, will come back for L"))

# How each kind of touchpoint looks on the timeline: an icon (templates/console/_icon.html)
# and a tone for its badge.
EVENT_STYLE = {
    EventKind.SIGNED_UP: ("user", "info"),
    EventKind.CONSENT_CHANGED: ("check", "muted"),
    EventKind.PRODUCT_VIEWED: ("eye", "muted"),
    EventKind.CART_ADDED: ("cart", "muted"),
    EventKind.ORDER_PLACED: ("bag", "primary"),
    EventKind.ORDER_READY: ("bell", "warning"),
    EventKind.PICKUP_COMPLETED: ("store", "success"),
    EventKind.ORDER_SHIPPED: ("truck", "success"),
    EventKind.ORDER_CANCELLED: ("x", "danger"),
    EventKind.STORE_VISIT: ("store", "info"),
    EventKind.EMAIL_SENT: ("mail", "muted"),
    EventKind.EMAIL_OPENED: ("mail", "info"),
    EventKind.EMAIL_CLICKED: ("mail", "primary"),
    EventKind.SMS_SENT: ("phone", "muted"),
    EventKind.COUPON_REDEEMED: ("tag", "success"),
    EventKind.RETURN: ("return", "warning"),
    EventKind.STAFF_NOTE: ("note", "info"),
    EventKind.PAGE_VIEWED: ("eye", "muted"),
    EventKind.SEARCHED: ("eye", "muted"),
    EventKind.SMS_CLICKED: ("phone", "primary"),
    EventKind.LINE_CLICKED: ("phone", "primary"),
    EventKind.ONSITE_CLICKED: ("eye", "primary"),
    EventKind.QR_SCANNED: ("tag", "primary"),
}

def _consent_context(customer) -> dict:
    return console_consent_context(customer)


def _timeline(customer, user, *, channel: str = "", page=1) -> dict:
    """The timeline card's context: one page of events, filtered by channel (customers.tracking)."""
    timeline_page, chosen = tracking.customer_timeline_page(customer=customer, channel=channel, page=page, user=user)
    timeline = []
    for event in timeline_page.object_list:
        icon, tone = EVENT_STYLE.get(event.kind, ("note", "muted"))
        timeline.append({"event": event, "icon": icon, "tone": tone, "subject": event.subject_label})
    return {"timeline": timeline, "timeline_page": timeline_page, "timeline_channel": chosen,
            "timeline_filters": tracking.timeline_filters()}


def _cart(customer, user) -> dict:
    """What is in the customer's cart now (orders sit above customers: read through the reverse
    relation, labelled by the subject resolvers, never by importing orders or inventory)."""
    cart = getattr(customer, "cart", None)
    lines = list(cart.lines.all()) if cart is not None else []
    labels = subject_labels([sku_subject(line.sku) for line in lines], user=user)
    return {"cart": cart, "cart_lines": [{"line": line, "label": labels.get(sku_subject(line.sku))} for line in lines]}


def _customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.select_related("favourite_location", "user"), pk=pk)


@console_view("customers.view_customer")
def customer_detail(request, pk: int, event_form=None, status: int = 200):
    customer = _customer(pk)
    timeline = _timeline(customer, request.user, channel=request.GET.get("channel", ""),
                         page=request.GET.get("page", 1))
    if request.htmx and request.htmx.target == "timeline":
        return render(request, "customers/console/tracking_timeline.html", {"customer": customer, **timeline})
    context = {
        "customer": customer,
        **_consent_context(customer),
        "event_form": event_form or StaffEventForm(),
        "can_change": request.user.has_perm("customers.change_customer"),
        # orders sit above customers: read them through the reverse relation, never import orders
        "orders": list(customer.orders.select_related("channel").prefetch_related("fulfillments__location")
                       .order_by("-created_at", "-id")[:50]),
        **timeline,
        **_cart(customer, request.user),
        "can_view_orders": request.user.has_perm("orders.view_order"),
        "can_merge": request.user.has_perm("customers.merge_customer"),
        "merges": merge.customer_merges(customer=customer),
        **_identities_context(customer),
        "score": CustomerScore.objects.filter(customer=customer).first(),
        "engagement": engagement.customer_engagement(customer=customer),
        "title": _("Customer"),
    }
    return render(request, "customers/console/customer_detail.html", context, status=status)


# --- identities: the keys the customer is known by (customers.identities) ----------------------

# What staff add by hand: the profile keeps the email and phone, sign-ins bring the browsers.
STAFF_IDENTITY_KINDS = (IdentityKind.LOYALTY_CARD, IdentityKind.LINE, IdentityKind.MARKETPLACE)
CONSOLE_IDENTITY_SOURCE = "console"


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k.value, k.label) for k in STAFF_IDENTITY_KINDS])
    value = forms.CharField(label=_("Value"), max_length=200,
                            help_text=_("A marketplace buyer ID is written marketplace:id, e.g. rakuten:abc123."))


def _identities_context(customer, form=None) -> dict:
    identities = list(customer.identities.order_by("kind", "id"))
    own = {(IdentityKind.EMAIL, (customer.email or "").lower()), (IdentityKind.PHONE, customer.phone_digits)}
    return {"identities": [{"identity": i, "own": (i.kind, i.value) in own} for i in identities],
            "identity_form": form or IdentityForm()}


def _identities_response(request, customer, *, form=None, error: str = ""):
    """The identities card again (htmx; errors beside their field, like the other console forms),
    or back to the customer's page with the outcome as a message."""
    if request.htmx:
        return render(request, "customers/console/customer_detail.html#identities",
                      {"customer": customer, "can_change": True, "identity_error": error,
                       **_identities_context(customer, form)})
    if form is not None and form.errors:
        error = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, gettext("Identities saved."))
    return redirect("console:customer_detail", pk=customer.pk)


@require_POST
@console_view("customers.change_customer")
def customer_identity_add(request, pk: int):
    """Staff record another key the customer is known by (a loyalty card, LINE, a marketplace)."""
    customer = _customer(pk)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return _identities_response(request, customer, form=form)
    try:
        identities.identity_add(customer=customer, kind=form.cleaned_data["kind"], value=form.cleaned_data["value"],
                                source=CONSOLE_IDENTITY_SOURCE, acting_user=request.user)
    except IdentityClaimed as exc:
        form.add_error("value", str(exc))
        return _identities_response(request, customer, form=form)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return _identities_response(request, customer, form=form)
    return _identities_response(request, customer)


@require_POST
@console_view("customers.change_customer")
def customer_identity_remove(request, pk: int, identity_id: int):
    customer = _customer(pk)
    identity = get_object_or_404(customer.identities, pk=identity_id)
    try:
        identities.identity_remove(identity=identity, acting_user=request.user)
    except IdentityInUse as exc:
        return _identities_response(request, customer, error=str(exc))
    return _identities_response(request, customer)


@console_view("customers.change_customer")
def customer_edit(request, pk: int):
    """The profile and the address book in one form, saved by ``profile.customer_profile_save``:
    everything or nothing, every change audited."""
    customer = _customer(pk)
    fields = list(StaffProfileForm.base_fields)
    if request.method == "POST":
        form = StaffProfileForm(request.POST)
        # a post without the address forms (an older page, a script) leaves the address book alone
        with_addresses = "addresses-TOTAL_FORMS" in request.POST
        formset = StaffAddressFormSet(request.POST if with_addresses else None, prefix="addresses")
        if form.is_valid() and (not with_addresses or formset.is_valid()):
            addresses = [{name: row[name] for name in (*StaffAddressForm.FIELDS, "is_default")}
                         for row in formset.cleaned_data if row and not row.get("DELETE")] if with_addresses else None
            try:
                profile.customer_profile_save(customer=customer, acting_user=request.user, addresses=addresses,
                                              **form.cleaned_data)
            except ValidationError as exc:
                address_errors = {}
                for field, errors in exc.message_dict.items():
                    if field.startswith("addresses."):
                        address_errors[field] = errors
                        continue
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
                kept = [f for f in formset.forms if getattr(f, "cleaned_data", None)
                        and not f.cleaned_data.get("DELETE")] if with_addresses else []
                for path, errors in address_errors.items():
                    _prefix, index, name = (path.split(".", 2) + ["", ""])[:3]
                    if index.isdigit() and int(index) < len(kept):
                        target = kept[int(index)]
                        for message in errors:
                            target.add_error(name if name in target.fields else None, message)
                    else:
                        for message in errors:
                            form.add_error(None, message)
            else:
                messages.success(request, gettext("The customer's profile was saved."))
                return redirect("console:customer_detail", pk=customer.pk)
    else:
        form = StaffProfileForm(initial={name: getattr(customer, name) for name in fields})
        formset = StaffAddressFormSet(prefix="addresses", initial=[
            {"is_default": a.is_default, **{name: getattr(a, name) for name in StaffAddressForm.FIELDS}}
            for a in customer.addresses.all()])
    return render(request, "customers/console/customer_edit.html",
                  {"customer": customer, "form": form, "formset": formset, "common_time_zones": COMMON_TIME_ZONES},
                  status=400 if request.method == "POST" else 200)


@require_POST
@console_view("customers.view_customer")
def customer_event_add(request, pk: int):
    """Store staff note a visit or a conversation on the customer's timeline, at their location."""
    customer = _customer(pk)
    form = StaffEventForm(request.POST)
    if form.is_valid():
        try:
            services.staff_event_record(customer=customer, kind=form.cleaned_data["kind"],
                                        interaction=form.cleaned_data["interaction"],
                                        note=form.cleaned_data["note"], acting_user=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
    if not form.is_valid():
        if request.htmx:
            return render(request, "customers/console/customer_detail.html#event-form",
                          {"customer": customer, "event_form": form})
        return customer_detail.__wrapped__(request, pk, event_form=form, status=400)
    if request.htmx:
        # the form comes back empty; the timeline follows out of band
        fresh = render_to_string("customers/console/customer_detail.html#event-form",
                                 {"customer": customer, "event_form": StaffEventForm(), "event_saved": True},
                                 request=request)
        timeline = render_to_string("customers/console/tracking_timeline.html",
                                    {"customer": customer, **_timeline(customer, request.user), "oob": True},
                                    request=request)
        return HttpResponse(fresh + timeline)
    messages.success(request, gettext("Added to the customer's timeline."))
    return redirect("console:customer_detail", pk=customer.pk)
