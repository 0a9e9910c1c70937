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
