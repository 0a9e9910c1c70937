"""Storefront self-service (issue 8): the customer's profile, address book and preference centre,
a copy of their data, closing their account, and resetting a forgotten password.

Every page shows and changes only the signed-in customer's own records: addresses are looked up
with ``customer=request.user.customer``, so another customer's id is a 404."""

import uuid
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.throttling import client_address

from .. import privacy, profile
from ..models import Address, Customer
from ..profile_forms import AddressForm, CloseAccountForm, PreferencesForm, ProfileForm, add_service_errors

ACCOUNT_VIA = "storefront"


def _own_customer(request: HttpRequest) -> Customer:
    customer = Customer.objects.filter(user=request.user, erased_at__isnull=True).select_related(
        "favourite_location").first() if request.user.is_authenticated else None
    if customer is None:
        raise Http404(_("This login has no shopping profile."))
    return customer


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    customer = _own_customer(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, user=request.user, current_email=customer.email or "")
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile.customer_profile_save(
                    customer=customer, acting_user=request.user, email=data["email"],
                    **{name: data[name] for name in ProfileForm.PROFILE_FIELDS})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("storefront:account_profile")
    else:
        form = ProfileForm(initial={"email": customer.email,
                                    **{name: getattr(customer, name) for name in ProfileForm.PROFILE_FIELDS}})
    return render(request, "customers/storefront/account_profile.html", {"form": form, "customer": customer},
                  status=400 if request.method == "POST" else 200)


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    """The address book, and the form to add one (POST)."""
    customer = _own_customer(request)
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile.address_add(customer=customer, acting_user=request.user, is_default=data["is_default"],
                                **{name: data[name] for name in AddressForm.FIELDS})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The address was added."))
            return redirect("storefront:account_addresses")
    context = {"customer": customer, "addresses": list(customer.addresses.all()), "form": form}
    return render(request, "customers/storefront/account_addresses.html", context,
                  status=400 if request.method == "POST" else 200)


def _own_address(request: HttpRequest, pk: int) -> Address:
    return get_object_or_404(Address.objects.select_related("customer"), pk=pk, customer=_own_customer(request))


@login_required
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    address = _own_address(request, pk)
    if request.method == "POST":
        form = AddressForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile.address_update(address=address, acting_user=request.user,
                                       **{name: data[name] for name in AddressForm.FIELDS})
                if data["is_default"]:
                    profile.address_set_default(address=address, acting_user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The address was saved."))
                return redirect("storefront:account_addresses")
    else:
        form = AddressForm(initial={"is_default": address.is_default,
                                    **{name: getattr(address, name) for name in AddressForm.FIELDS}})
    return render(request, "customers/storefront/account_address_form.html", {"form": form, "address": address},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    profile.address_delete(address=_own_address(request, pk), acting_user=request.user)
    messages.success(request, _("The address was removed."))
    return redirect("storefront:account_addresses")


@login_required
@require_POST
def address_default(request: HttpRequest, pk: int) -> HttpResponse:
    profile.address_set_default(address=_own_address(request, pk), acting_user=request.user)
    messages.success(request, _("That is now your default address."))
    return redirect("storefront:account_addresses")


PREFERENCE_FIELDS = ("sizes", "interests", "preferred_channel", "language", "favourite_location", "time_zone")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The preference centre: what the customer tells us (sizes, interests, how and where they
    like to shop). Their consents by channel and purpose live at /account/consent/."""
    customer = _own_customer(request)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                profile.customer_profile_save(customer=customer, acting_user=request.user,
                                              **{name: form.cleaned_data[name] for name in PREFERENCE_FIELDS})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your preferences were saved."))
                return redirect("storefront:account_preferences")
    else:
        form = PreferencesForm(initial={name: getattr(customer, name) for name in PREFERENCE_FIELDS})
    return render(request, "customers/storefront/account_preferences.html", {"form": form, "customer": customer},
                  status=400 if request.method == "POST" else 200)


@login_required
def privacy_page(request: HttpRequest) -> HttpResponse:
    customer = _own_customer(request)
    return render(request, "customers/storefront/account_privacy.html",
                  {"customer": customer, "close_form": CloseAccountForm(user=request.user)})


@login_required
@require_POST
def data_download(request: HttpRequest) -> HttpResponse:
    """Download my data: a POST (it is logged), answered with the JSON file."""
    customer = _own_customer(request)
    body = privacy.customer_data_export(customer=customer, acting_user=request.user, via=ACCOUNT_VIA)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{privacy.export_file_name(customer)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def account_close(request: HttpRequest) -> HttpResponse:
    customer = _own_customer(request)
    form = CloseAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "customers/storefront/account_privacy.html",
                      {"customer": customer, "close_form": form}, status=400)
    privacy.customer_erase(customer=customer, acting_user=request.user, via=ACCOUNT_VIA,
                           reason=form.cleaned_data["reason"])
    logout(request)
    return redirect("storefront:account_closed")


def account_closed(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/storefront/account_closed.html")


# --- password change (signed in) and reset (by email) -----------------------------------------

class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change for a signed-in customer (their current password first); the
    session stays signed in. Staff change theirs in the console."""

    template_name = "customers/storefront/account_password.html"
    success_url = reverse_lazy("storefront:account_password")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _own_customer(request)  # a login without a shopping profile (staff) has no such page here
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- password reset (Django's views, the brand's templates, throttled) -------------------------

PASSWORD_RESET_LIMIT = 5  # emails per hour per address and per client
PASSWORD_RESET_WINDOW = 3600


def _over_limit(key: str) -> bool:
    if cache.add(key, 1, PASSWORD_RESET_WINDOW):
        return False
    try:
        return cache.incr(key) > PASSWORD_RESET_LIMIT
    except ValueError:
        return False


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form: at most ``PASSWORD_RESET_LIMIT`` emails an hour per address and per
    client address. Over the limit, or for an address no customer account uses, the page answers
    the same (it never tells whether an address has an account) and no email goes out.

    The email is a customer message like any other: ``save`` queues
    ``customers.account_tasks.password_reset_send`` (django-q2, after commit), which sends it
    once through the delivery ledger (``kernel.deliveries``) in the brand's email layout, with a
    token of Django's default token generator made in the task. Each request is its own message
    (a second click sends a new link); a retried task does not send the same one twice. It is
    sent in the language of the page the customer used."""

    def save(self, *args, request=None, **kwargs):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        address = client_address(request) if request is not None else "-"
        if _over_limit(f"password-reset:email:{email}") or _over_limit(f"password-reset:ip:{address}"):
            return
        language = get_language() or ""
        for user in self.get_users(email):
            request_id = uuid.uuid4().hex
            transaction.on_commit(partial(_queue_password_reset, user.pk, request_id, language))

    def get_users(self, email):
        # only customers' own, active accounts (staff reset through the console's administrator)
        return [user for user in super().get_users(email) if getattr(user, "customer", None) is not None
                and not user.is_staff and user.customer.erased_at is None]


def _queue_password_reset(user_id: int, request_id: str, language: str) -> None:
    from django_q.tasks import async_task

    async_task("customers.account_tasks.password_reset_send", user_id, request_id, language,
               task_name=f"password-reset-{user_id}-{request_id}", sync=settings.Q_CLUSTER.get("sync", False))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view and token generator; the email goes out through the form's ``save``."""

    template_name = "customers/storefront/account_password_reset.html"
    form_class = ThrottledPasswordResetForm
    success_url = reverse_lazy("storefront:password_reset_done")

    def form_valid(self, form):
        form.save(request=self.request)
        return redirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "customers/storefront/account_password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "customers/storefront/account_password_reset_confirm.html"
    success_url = reverse_lazy("storefront:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "customers/storefront/account_password_reset_complete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["login_url"] = reverse("storefront:login")
        return context
