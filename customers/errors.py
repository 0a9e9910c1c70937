from kernel.errors import DomainError, InvalidRows


class CustomerError(Exception):
    pass


class CustomerNotDeletable(CustomerError, DomainError):
    """A customer record that must stay (orders, an account)."""

    code = "customer_not_deletable"
    http_status = 409


class CustomerImportInvalid(CustomerError, InvalidRows):
    """An import of customers or of their touchpoints refused as a whole: ``errors`` lists every
    bad row (``kernel.errors.RowError``); nothing was written."""


class ConsentLinkInvalid(CustomerError, DomainError):
    """A double opt-in or unsubscribe link that was altered or has expired: nothing is stored."""

    code = "consent_link_invalid"
    http_status = 400

    def __init__(self, message: str, *, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason  # "invalid" or "expired"

    def payload(self) -> dict:
        return {"reason": self.reason}


class ConsentRequestVoid(CustomerError, DomainError):
    """The customer withdrew after asking to opt in: the old confirmation link grants nothing."""

    code = "consent_request_void"
    http_status = 409


class IdentityClaimed(CustomerError, DomainError):
    """An identity (email, phone, card number, ...) already belongs to another customer: the
    duplicate review and merge resolve that, never a silent move."""

    code = "identity_claimed"
    http_status = 409

    def __init__(self, message: str, *, kind: str, value: str, customer_id: int, field: str = "value"):
        super().__init__(message)
        self.kind, self.value, self.customer_id, self.field = kind, value, customer_id, field

    def payload(self) -> dict:
        return {"errors": {self.field: [str(self)]}, "identity": {"kind": self.kind, "value": self.value},
                "customer": self.customer_id}


class IdentityInUse(CustomerError, DomainError):
    """An identity the profile itself holds (the customer's email or phone): change the profile instead."""

    code = "identity_in_use"
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


class CustomerErased(CustomerError, DomainError):
    """The customer's personal data was erased: nothing left to export, erase or edit."""

    code = "customer_erased"
    http_status = 409


# --- Identities and merge (customers.merge) ----------------------------------------------

class MergeError(CustomerError, DomainError):
    """A merge that cannot be done; ``field`` names the input it is about (API error body)."""

    code = "merge_refused"
    http_status = 409
    field = "merged"

    def payload(self) -> dict:
        return {"errors": {self.field: [str(self)]}}


class MergeSameCustomer(MergeError):
    code = "merge_same_customer"
    http_status = 400


class MergeCustomerNotFound(MergeError):
    code = "customer_not_found"
    http_status = 404

    def __init__(self, message: str, *, field: str = "merged"):
        super().__init__(message)
        self.field = field


class MergeCustomerErased(MergeError):
    code = "customer_erased"
    http_status = 409

    def __init__(self, message: str, *, field: str = "merged"):
        super().__init__(message)
        self.field = field


class CustomerAlreadyMerged(MergeError):
    """The customer was merged into another one before (its record is gone)."""

    code = "customer_already_merged"
    http_status = 409

    def __init__(self, message: str, *, merged_pk: int, survivor_pk: int, field: str = "merged"):
        super().__init__(message)
        self.merged_pk, self.survivor_pk, self.field = merged_pk, survivor_pk, field

    def payload(self) -> dict:
        return {**super().payload(), "customer": self.merged_pk, "merged_into": self.survivor_pk}


class SegmentInUse(CustomerError, DomainError):
    """A segment other records use (a campaign's audience, an offer's condition): deleting it would
    change them silently, so it is refused, naming what uses it."""

    code = "segment_in_use"
    http_status = 409

    def __init__(self, message: str, *, used_by: dict[str, int]):
        super().__init__(message)
        self.used_by = used_by

    def payload(self) -> dict:
        return {"used_by": self.used_by}
