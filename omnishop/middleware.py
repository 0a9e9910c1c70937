from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Activate the language the visitor chose (cookie), else the user's own setting, else
    the shop's default (Japanese in the demo). The browser's Accept-Language is not used:
    a Japanese shop speaks Japanese until asked otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response
