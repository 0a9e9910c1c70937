from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import get_user
from django.utils import translation


class LanguageMiddleware:
    """Activate, in this order:

    1. the language the visitor chose on this browser (the language cookie set by the language
       switcher, ``set_language``): an explicit, recent choice wins, also over the account's
       setting, so switching language always works;
    2. else, for a signed-in user (session), the language of their account (``user.language``);
    3. else the shop's default (Japanese in the demo).

    The browser's Accept-Language is not used: a Japanese shop speaks Japanese until asked
    otherwise. API clients signing in with a token are authenticated by DRF inside the view,
    after this runs, so they get the cookie or the default.

    This middleware runs before AuthenticationMiddleware; it reads the session user through
    ``django.contrib.auth.middleware.get_user``, which caches it on the request, so the
    lazy ``request.user`` set afterwards does not load the user a second time.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            language = self.account_language(request)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response

    def account_language(self, request) -> str:
        """The signed-in user's language setting, as one of LANGUAGES ("en-us" -> "en"), or ''."""
        session = getattr(request, "session", None)
        if session is None or auth.SESSION_KEY not in session:
            return ""  # anonymous: no user to load
        language = getattr(get_user(request), "language", "") or ""
        try:
            return translation.get_supported_language_variant(language.strip().lower())
        except LookupError:
            return ""
