"""Storefront account pages of the customers domain: sign up, log in/out (consent: views/consent.py)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from customers.consent import consent_request_meta
from customers.forms import LoginForm, SignupForm
from customers.services import customer_sign_up
from kernel import channels
from kernel.models import Channel

SIGNUP_SOURCE = "storefront-signup"


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
                email_double_opt_in=True, **consent_request_meta(request),
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
