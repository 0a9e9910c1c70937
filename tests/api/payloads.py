"""Request bodies shared by the API tests."""


def pickup_body(**overrides) -> dict:
    body = {"channel": "web", "customer": "taro@example.jp", "lines": [{"sku": "LS-S", "quantity": 1}],
            "fulfillment": {"method": "pickup", "location": "shibuya"}}
    body.update(overrides)
    return body


def pos_pickup_body(**overrides) -> dict:
    """A pickup at 渋谷店 sold through its own POS: what Shibuya's store staff may place."""
    return pickup_body(**{"channel": "pos-shibuya", **overrides})
