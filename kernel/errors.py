"""The base of every domain error: a machine code and an HTTP status the one API error handler
(kernel.api.exception_handler) maps without knowing which app raised it."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


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


@dataclass(frozen=True)
class RowError:
    """One problem with one row of a batch: the row's index (from 0, in the order given), the
    field inside the row (``email``, ``lines.0.sku``; empty: the row as a whole) and the message."""

    row: int
    field: str
    message: str


def row_errors(row: int, errors: dict[str, list[str]]) -> list[RowError]:
    """``{"field": [messages]}`` (what the services' validators collect) as RowErrors of ``row``."""
    return [RowError(row, field, str(message)) for field, messages in errors.items() for message in messages]


class InvalidRows(DomainError):
    """A batch (an import) refused as a whole: ``errors`` names every bad row, field and message,
    and nothing was applied. The API answers 400 in its one error shape, each field path
    ``rows.<index>.<field>``."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: list[RowError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"row {e.row} {e.field}: {e.message}" for e in self.errors[:20]))

    def detail(self) -> str:
        return _("Some rows are invalid; nothing was imported.")

    def payload(self) -> dict:
        errors: dict[str, list[str]] = {}
        for error in self.errors:
            path = f"rows.{error.row}.{error.field}" if error.field else f"rows.{error.row}"
            errors.setdefault(path, []).append(str(error.message))
        return {"errors": errors}
