"""The API's request parsers (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the project's only one, ``DEFAULT_PARSER_CLASSES``), also refusing
    with 400 ``parse_error`` what no endpoint needs and the stack cannot take: nesting deeper
    than ``MAX_JSON_DEPTH`` (10,000 levels raised RecursionError, a 500, even on the anonymous
    token endpoint) and NUL characters in strings or keys (PostgreSQL's text and jsonb refuse
    them). NUL in paths, query strings and URL-encoded forms is refused earlier, for every page,
    by ``kernel.middleware.RejectNulMiddleware``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(self.too_deep_message()) from None
        self.check(data)
        return data

    @classmethod
    def check(cls, data) -> None:
        """Walk the parsed document without recursion; raise ParseError on NUL or deep nesting."""
        pending = [(data, 0)]
        while pending:
            value, depth = pending.pop()
            if isinstance(value, str):
                if "\x00" in value:
                    raise exceptions.ParseError(_("Null characters are not allowed."))
            elif isinstance(value, dict | list):
                if depth >= MAX_JSON_DEPTH:
                    raise exceptions.ParseError(cls.too_deep_message())
                if isinstance(value, dict):
                    if any("\x00" in key for key in value):
                        raise exceptions.ParseError(_("Null characters are not allowed."))
                    value = value.values()
                pending.extend((child, depth + 1) for child in value)

    @staticmethod
    def too_deep_message() -> str:
        return _("JSON nested more than %(max)s levels deep is not accepted.") % {"max": MAX_JSON_DEPTH}
