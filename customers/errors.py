from kernel.errors import DomainError


class CustomerError(Exception):
    pass


class CustomerNotDeletable(CustomerError, DomainError):
    """A customer record that must stay (orders, an account)."""

    code = "customer_not_deletable"
    http_status = 409


class CustomerErased(CustomerError, DomainError):
    """The customer's personal data was erased: nothing left to export, erase or edit."""

    code = "customer_erased"
    http_status = 409
