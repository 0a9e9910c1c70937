from kernel.errors import DomainError


class CampaignError(DomainError):
    """A campaign action refused by a business rule (the message says why)."""

    code = "campaign_refused"
    http_status = 409


class CampaignInvalid(CampaignError):
    """What was typed is not a valid campaign or message: ``errors`` maps each field to its messages
    (a template's problems name their line)."""

    code = "campaign_invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {key: [str(m) for m in value] for key, value in errors.items()}
        first = next(iter(self.errors.values()), [""])
        super().__init__(first[0] if first else "")

    def payload(self) -> dict:
        return {"errors": self.errors}


class CampaignNotReady(CampaignError):
    """The campaign cannot be submitted or sent yet: ``problems`` lists each reason."""

    code = "campaign_not_ready"
    http_status = 409

    def __init__(self, problems: list[str]):
        self.problems = [str(p) for p in problems]
        super().__init__(" ".join(self.problems))

    def payload(self) -> dict:
        return {"problems": self.problems}


class BackInStockRefused(CampaignError):
    """A back-in-stock subscription refused (campaigns.backinstock): ``reason`` says which rule
    (``discontinued``, ``in_stock``, ``orderable``, ``not_a_store``, ``no_customer``) and the
    message says why in the customer's words. The API answers 400 with ``reason`` beside ``code``."""

    code = "back_in_stock_refused"
    http_status = 400

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)

    def payload(self) -> dict:
        return {"reason": self.reason}
