"""django-q2 jobs of customer consent. Each takes ids and is safe to run twice."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from brandkit.theme import theme
from kernel.deliveries import deliver_once, delivery_message_id

from .consent import confirmation_lifetime, consent_confirmation_url
from .models import ConsentRequest, EventKind
from .services import event_record


def consent_confirmation_message_key(request_id: int) -> str:
    return f"consent-confirmation:{request_id}"


def consent_confirmation_send(request_id: int) -> bool:
    """Email the double opt-in confirmation link of ``ConsentRequest`` ``request_id`` exactly
    once through the delivery ledger (kernel.deliveries); False when it was not sent now (sent
    before, being sent, already confirmed, or the customer has no email address). The message
    is transactional: it needs no consent (it is what the customer just asked for)."""
    request = ConsentRequest.objects.select_related("customer", "customer__user").get(pk=request_id)
    customer = request.customer
    recipient = customer.email or ""
    if not recipient or request.record_id:
        return False
    message_key = consent_confirmation_message_key(request.pk)
    language = customer.language or (customer.user.language if customer.user_id else "") or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(timezone.get_default_timezone()):
        context = {
            "customer": customer,
            "request": request,
            "brand": theme(),
            "confirm_url": consent_confirmation_url(request),
            "expires_at": request.requested_at + confirmation_lifetime(),
            "LANGUAGE_CODE": language,
        }
        subject = render_to_string("customers/email/consent_confirm_subject.txt", context).strip()
        text = render_to_string("customers/email/consent_confirm.txt", context)
        html = render_to_string("customers/email/consent_confirm.html", context)
    message_id = delivery_message_id(message_key=message_key, recipient=recipient)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")

    def send(delivery) -> str:
        message.send()
        return message_id

    def record_sent(delivery) -> None:
        event_record(customer=customer, kind=EventKind.EMAIL_SENT, subject="",
                     data={"template": "consent_confirmation", "request": request.pk})

    return deliver_once(message_key=message_key, recipient=recipient, channel="email", send=send,
                        on_sent=record_sent) is not None
