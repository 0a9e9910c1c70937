"""A small discount provider for the tests of the orders hook. Its codes:

- ``TEN``: 10 % off every line (rounded down on the lines' total, spread in whole yen);
- ``SHIPFREE``: the delivery fee taken off;
- ``BIG``: 1,000 yen off from 20,000 yen, else refused for the minimum spend;
- ``RACE``: applies when evaluated but is used up by the time the order commits it;
- ``TILL``: 300 yen off, at the till (POS channels) only.

``commits`` records each commit (order number, codes) so a test can see it was called."""

from orders.discounts import (
    AppliedOffer,
    DiscountContext,
    DiscountRefused,
    DiscountResult,
    PricedLine,
    RefusedCode,
    discount_spread,
)

commits: list[tuple[str, tuple[str, ...]]] = []


class TestDiscounts:
    name = "test"

    def evaluate(self, *, lines: list[PricedLine], context: DiscountContext) -> DiscountResult:
        result = DiscountResult()
        for code in context.codes:
            if code == "TEN":
                amount = context.subtotal * 10 // 100
                result.line_discounts += discount_spread(amount=amount, lines=lines, reason="10% off")
                result.applied.append(AppliedOffer(provider=self.name, offer_id=1, code=code, label="10% off",
                                                   amount=amount, campaign_id=7))
            elif code == "SHIPFREE":
                result.shipping_discount += context.shipping_fee
                result.applied.append(AppliedOffer(provider=self.name, offer_id=2, code=code, label="Free shipping",
                                                   amount=context.shipping_fee, free_shipping=True))
            elif code == "BIG":
                if context.subtotal < 20000:
                    result.refused.append(RefusedCode(code=code, reason="min_spend",
                                                      message="Spend 20,000 yen to use BIG."))
                else:
                    result.line_discounts += discount_spread(amount=1000, lines=lines, reason="BIG")
                    result.applied.append(AppliedOffer(provider=self.name, offer_id=3, code=code, label="BIG",
                                                       amount=1000))
            elif code == "RACE":
                result.line_discounts += discount_spread(amount=100, lines=lines[:1], reason="Race")
                result.applied.append(AppliedOffer(provider=self.name, offer_id=4, code=code, label="Race",
                                                   amount=100))
            elif code == "TILL":
                if context.channel_kind != "pos":
                    result.refused.append(RefusedCode(code=code, reason="wrong_channel",
                                                      message="TILL is for the store only."))
                else:
                    result.line_discounts += discount_spread(amount=300, lines=lines, reason="Store coupon")
                    result.applied.append(AppliedOffer(provider=self.name, offer_id=5, code=code,
                                                       label="Store coupon", amount=300))
        return result

    def commit(self, *, order_id, order_number, lines, context, result) -> None:
        commits.append((order_number, tuple(a.code for a in result.applied)))
        if any(a.code == "RACE" for a in result.applied):
            raise DiscountRefused([RefusedCode(code="RACE", reason="exhausted",
                                               message="RACE has just been used up.")])
