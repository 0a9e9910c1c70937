"""The base of every domain error: a machine code and an HTTP status the one API error handler
(kernel.api.exception_handler) maps without knowing which app raised it."""


class DomainError(Exception):
    """A business rule refused the action. Subclasses set ``code`` (the ``code`` of the API's
    error body) and ``http_status``, and may override ``detail`` (the human message, default
    ``str(self)``) and ``payload`` (extra fields of the body, e.g. ``lines`` or ``errors``)."""

    code = "domain_error"
    http_status = 409

    def detail(self) -> str:
        return str(self)

    def payload(self) -> dict:
        return {}
