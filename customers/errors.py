from kernel.errors import DomainError


class CustomerError(Exception):
    pass


class CustomerNotDeletable(CustomerError, DomainError):
    """A customer record that must stay (orders, an account)."""

    code = "customer_not_deletable"
    http_status = 409


class SegmentError(CustomerError, DomainError):
    """A segment action that cannot be done (a static list's upload for a dynamic segment...)."""

    code = "segment_invalid"
    http_status = 400


class SegmentRulesInvalid(CustomerError, DomainError):
    """Segment fields or rules refused: ``errors`` holds the messages by path
    (``rules.groups.0.conditions.2.field``); nothing was stored."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {path: [str(m) for m in messages] for path, messages in errors.items()}
        super().__init__("; ".join(f"{path}: {' '.join(messages)}" for path, messages in self.errors.items()))

    def detail(self) -> str:
        from django.utils.translation import gettext

        return gettext("The segment has invalid fields or rules.")

    def payload(self) -> dict:
        return {"errors": self.errors}


class MembersFileInvalid(CustomerError, DomainError):
    """An uploaded members file with bad rows: ``rows`` lists every one; nothing was stored."""

    code = "invalid_rows"
    http_status = 400

    def __init__(self, rows: list[dict]):
        self.rows = rows
        super().__init__(f"{len(rows)} bad rows")

    def detail(self) -> str:
        from django.utils.translation import ngettext

        return ngettext("%(n)d row could not be matched: nothing was imported.",
                        "%(n)d rows could not be matched: nothing was imported.", len(self.rows)) % {
            "n": len(self.rows)}

    def payload(self) -> dict:
        return {"rows": self.rows, "errors": {f"rows.{r['row']}": [str(r["error"])] for r in self.rows}}
