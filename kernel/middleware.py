from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import get_user
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _


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


class RejectNulMiddleware:
    """Answer 400 when the path, a query parameter or a submitted form holds a NUL character,
    before any view runs.

    PostgreSQL cannot take NUL in text: a ``%00`` in ``/products/?q=``, in a console search or
    in a code in the path reached the database and answered 500 there (SQLite let it through,
    so the same URL behaved differently per database). No name, code or search term needs it.
    One place for every page: the API (paths under ``/api/``) gets its JSON error body, every
    other path the 400 page. The API's bodies are its parsers' and serializers' to check
    (``kernel.parsers.JSONParser`` refuses NUL in JSON; DRF's text fields refuse it in forms).
    """

    API_PREFIX = "/api/"
    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self.field_with_nul(request)
        if field is not None:
            return self.refuse(request, field)
        return self.get_response(request)

    def field_with_nul(self, request) -> str | None:
        """The name of the first part holding a NUL: ``path``, a parameter's name, or None."""
        if "\x00" in request.path_info:
            return "path"
        sources = [request.GET]
        if (request.method == "POST" and request.content_type in self.FORM_TYPES
                and not request.path_info.startswith(self.API_PREFIX)):  # the API reads its own bodies
            sources.append(request.POST)
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return key.replace("\x00", "") or "query"
        return None

    def refuse(self, request, field: str):
        if request.path_info.startswith(self.API_PREFIX):
            return JsonResponse({"code": "invalid", "detail": _("The request has invalid fields."),
                                 "errors": {field: [_("Null characters are not allowed.")]}},
                                status=400, json_dumps_params={"ensure_ascii": False})
        return render(request, "bad_request.html", status=400)
