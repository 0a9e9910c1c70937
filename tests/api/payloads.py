"""Request bodies shared by the API tests."""


def pickup_body(**overrides) -> dict:
    body = {"channel": "web", "customer": "taro@example.jp", "lines": [{"sku": "LS-S", "quantity": 1}],
            "fulfillment": {"method": "pickup", "location": "shibuya"}}
    body.update(overrides)
    return body
