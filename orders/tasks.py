"""django-q2 jobs of the orders domain. Each takes ids and is safe to run twice."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from brandkit.theme import theme
from customers.models import CustomerEvent, EventKind
from customers.services import event_record
from kernel.deliveries import deliver_once, delivery_message_id, delivery_normalise_recipient
from kernel.models import Delivery, DeliveryStatus
from kernel.site import absolute_url
from kernel.subjects import order_subject

from .models import Order, OrderEmail
from .selectors import order_invoice

EMAIL_KINDS = set(OrderEmail.values)


def order_email_send(order_id: int, kind: str) -> bool:
    """Send the order's ``kind`` email exactly once through the delivery ledger (kernel.deliveries:
    a retry, or a run after a worker died, never sends it twice); returns False when it was not
    sent now (sent before, being sent, or of unknown outcome after a worker died mid-send)."""
    if kind not in EMAIL_KINDS:
        raise ValueError(kind)
    order = Order.objects.select_related("customer", "channel").prefetch_related(
        "lines", "fulfillments__location").get(pk=order_id)
    recipient = order.email or (order.customer.email if order.customer_id else "")
    if not recipient:
        return False
    subject_ref = order_subject(order.number, kind)
    if Delivery.objects.filter(message_key=subject_ref, recipient=delivery_normalise_recipient(recipient, "email"),
                               channel="email", status=DeliveryStatus.SENT).exists():
        return False
    if order.customer_id and CustomerEvent.objects.filter(
        customer_id=order.customer_id, kind=EventKind.EMAIL_SENT, subject=subject_ref
    ).exists():
        return False  # sent before the delivery ledger existed
    language = (order.customer.user.language if order.customer_id and order.customer.user_id else "") or \
        settings.LANGUAGE_CODE
    # the invoice's transaction date is the shop's calendar day, whichever zone the worker runs in
    with translation.override(language), timezone.override(timezone.get_default_timezone()):
        invoice = order_invoice(order)
        fulfillment = order.fulfillments.all()[0]
        if kind == OrderEmail.READY and fulfillment.status != "ready":
            return False  # handed over before the email went (an exchange at the till): nothing to announce
        context = {
            "order": order,
            "fulfillment": fulfillment,
            "hold_until": fulfillment.hold_until,
            "lines": invoice.lines,
            "invoice": invoice,  # the confirmation is the order's qualified simplified invoice
            "brand": theme(),
            "order_url": absolute_url(order.get_absolute_url()),
            # the till receipt's tenders and change (orders.till)
            "payments": [payment for payment in order.payments.all() if payment.amount > 0],
            "change": getattr(getattr(order, "till_sale", None), "change", 0),
        }
        subject = render_to_string(f"orders/email/{kind}_subject.txt", context).strip()
        text = render_to_string(f"orders/email/{kind}.txt", context)
        html = render_to_string(f"orders/email/{kind}.html", context)
    message_id = delivery_message_id(message_key=subject_ref, recipient=recipient)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")

    def send(delivery) -> str:
        message.send()
        return message_id

    def record_sent(delivery) -> None:
        # in the transaction that marks the delivery sent: the timeline says sent exactly when the ledger does
        if order.customer_id and not CustomerEvent.objects.filter(
                customer_id=order.customer_id, kind=EventKind.EMAIL_SENT, subject=subject_ref).exists():
            event_record(customer=order.customer, kind=EventKind.EMAIL_SENT, channel=order.channel,
                         subject=subject_ref, data={"template": f"order_{kind}"})

    return deliver_once(message_key=subject_ref, recipient=recipient, channel="email", send=send,
                        on_sent=record_sent) is not None


def pickups_expire() -> list[str]:
    """Scheduled hourly (see orders.apps): cancel uncollected pickups past their hold period."""
    from .services import pickups_expire_overdue

    return pickups_expire_overdue()


def carts_expire() -> int:
    """Scheduled daily (see orders.apps): delete guest carts idle for CART_GUEST_DAYS."""
    from .cart import carts_expire as expire

    return expire()


def return_email_send(return_id: int) -> bool:
    """Email the customer the receipt of a return once it is received or refunded (each status
    once, through the delivery ledger: a retry never sends it twice); False when not sent now."""
    from .models import Return
    from .selectors import return_receipt

    ret = Return.objects.select_related("order__customer__user", "order__channel", "location").get(pk=return_id)
    order = ret.order
    recipient = order.email or (order.customer.email if order.customer_id else "")
    if not recipient:
        return False
    subject_ref = order_subject(order.number, ret.number, ret.status)
    language = (order.customer.user.language if order.customer_id and order.customer.user_id else "") or \
        settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(timezone.get_default_timezone()):
        context = {"ret": ret, "order": order, "receipt": return_receipt(ret), "brand": theme(),
                   "return_url": absolute_url(ret.get_absolute_url())}
        subject = render_to_string("orders/email/return_subject.txt", context).strip()
        text = render_to_string("orders/email/return.txt", context)
        html = render_to_string("orders/email/return.html", context)
    message_id = delivery_message_id(message_key=subject_ref, recipient=recipient)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")

    def send(delivery) -> str:
        message.send()
        return message_id

    def record_sent(delivery) -> None:
        if order.customer_id:
            event_record(customer=order.customer, kind=EventKind.EMAIL_SENT, channel=order.channel,
                         subject=subject_ref, data={"template": "return_receipt"})

    return deliver_once(message_key=subject_ref, recipient=recipient, channel="email", send=send,
                        on_sent=record_sent) is not None
