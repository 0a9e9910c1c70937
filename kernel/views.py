"""The console's own pages: sign in and sign out."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = False
    extra_context = {"title": _("Sign in to the console")}

    def get_default_redirect_url(self):
        return str(reverse_lazy("console:dashboard"))


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("console:login")
