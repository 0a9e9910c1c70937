from kernel.errors import DomainError


class CustomerError(Exception):
    pass


class CustomerNotDeletable(CustomerError, DomainError):
    """A customer record that must stay (orders, an account)."""

    code = "customer_not_deletable"
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


class CustomerAlreadyMerged(MergeError):
    """The customer was merged into another one before (its record is gone)."""

    code = "customer_already_merged"
    http_status = 409

    def __init__(self, message: str, *, merged_pk: int, survivor_pk: int, field: str = "merged"):
        super().__init__(message)
        self.merged_pk, self.survivor_pk, self.field = merged_pk, survivor_pk, field

    def payload(self) -> dict:
        return {**super().payload(), "customer": self.merged_pk, "merged_into": self.survivor_pk}
