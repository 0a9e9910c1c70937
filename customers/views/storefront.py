"""Storefront account pages of the customers domain: sign up, log in/out, consent."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.forms import ConsentForm, LoginForm, SignupForm
from customers.services import consent_set, customer_sign_up
from kernel import channels
from kernel.models import Channel

SIGNUP_SOURCE = "storefront-signup"
ACCOUNT_SOURCE = "storefront-account"


def web_channel() -> Channel:
    return channels.web_channel()


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("storefront:account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _customer = customer_sign_up(
                email=data["email"], password=data["password1"], family_name=data["family_name"],
                given_name=data["given_name"], family_name_kana=data["family_name_kana"],
                given_name_kana=data["given_name_kana"], phone=data["phone"],
                email_marketing=data["email_marketing"], channel=web_channel(), source=SIGNUP_SOURCE,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("storefront:account")
    return render(request, "customers/storefront/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "customers/storefront/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("storefront:account")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("storefront:home")


@login_required
@require_POST
def consent_change(request: HttpRequest) -> HttpResponse:
    customer = getattr(request.user, "customer", None)
    form = ConsentForm(request.POST)
    if customer is None or not form.is_valid():
        messages.error(request, _("Your choice could not be saved."))
        return redirect("storefront:account")
    channel, granted = form.cleaned_data["channel"], form.cleaned_data["granted"]
    consent_set(customer=customer, channel=channel, granted=granted, source=ACCOUNT_SOURCE,
                acting_user=request.user, event_channel=web_channel())
    label = dict(form.fields["channel"].choices)[channel]
    if granted:
        messages.success(request, _("You will receive news and offers by %(channel)s.") % {"channel": label})
    else:
        messages.success(request, _("You will no longer receive offers by %(channel)s.") % {"channel": label})
    return redirect(reverse("storefront:account") + "#consent")
