"""Register test data built through the services: POS sales paid at a register session, and the
refunds and voids the returns desk and the till write (negative Payment rows in the session)."""

from inventory import services as inventory
from inventory.services import VariantIn
from orders import services
from orders.models import Payment, TenderKind
from orders.payments import TenderIn, payment_take
from orders.services import FulfillmentIn, LineIn


def food(shop):
    """A reduced-rate (8 %) item sold at store A."""
    product = inventory.product_create(code="matcha", name="抹茶", category="食品", tax_class="reduced",
                                       variants=[VariantIn(sku="MATCHA", barcode="4901234567900", price=1080)])
    variant = product.variants.get()
    inventory.stock_receive(variant=variant, location=shop.store_a, quantity=50, reference="PO-2")
    return variant


def sale(shop, session, *tenders, lines=(("LS-S", 1),)):
    """A till sale at store A paid with ``tenders`` ((kind, amount[, reference]) tuples) into ``session``."""
    order = services.order_place(channel=shop.pos_a, lines=[LineIn(sku, qty) for sku, qty in lines],
                                 fulfillment=FulfillmentIn("pickup", shop.store_a.code))
    payment_take(order=order, tenders=[TenderIn(*tender) for tender in tenders], register_session=session)
    order.refresh_from_db()
    return order


def refund(order, session, kind, amount):
    """Money given back on ``order`` in ``session``: a negative Payment row, as the returns desk
    writes it (orders.payments keeps refunds as negative rows; its service is issue 10's returns part)."""
    return Payment.objects.create(order=order, kind=kind, amount=-amount, location=session.register.location,
                                  register_session=session)


def void(order, session):
    """The till's void: the POS order is cancelled and each of its tenders given back in the session."""
    services.order_cancel(order=order, reason="レジ取消")
    for payment in list(order.payments.filter(amount__gt=0)):
        Payment.objects.create(order=order, kind=payment.kind, amount=-payment.amount,
                               location=session.register.location, register_session=session)


CASH, CARD, QR = TenderKind.CASH, TenderKind.CARD, TenderKind.QR
