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
