"""django-q2 jobs of the storefront account (customers.views.account). Each takes ids and is safe
to run twice."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from brandkit.theme import theme
from kernel.deliveries import deliver_once, delivery_message_id
from kernel.site import absolute_url

from .models import Customer, EventKind
from .services import event_record

PASSWORD_RESET_TEMPLATE = "password_reset"


def password_reset_message_key(*, user_id: int, request_id: str) -> str:
    """One message per reset asked for (``request_id``, made by the form): a second request sends
    a new link, a retried task does not send the same one twice."""
    return f"password-reset:{user_id}:{request_id}"


def password_reset_url(user) -> str:
    """The absolute link (under ``SITE_URL``, never the request's Host header) to Django's
    ``PasswordResetConfirmView`` with a fresh token of Django's default token generator."""
    path = reverse("storefront:password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    return absolute_url(path)


def password_reset_send(user_id: int, request_id: str, language: str = "") -> bool:
    """Email the password reset link to customer account ``user_id`` once through the delivery
    ledger (kernel.deliveries), in the brand's email layout and in ``language`` (the page's).
    False when nothing was sent now: sent before (a retried task), the account is no longer an
    active customer's with a password, or it has no email address. The token is made here, not
    passed in, so it is never stored in the task queue. Transactional: it needs no consent."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=False).first()
    customer = (Customer.objects.filter(user_id=user_id, erased_at__isnull=True).first()
                if user is not None else None)
    if customer is None or not user.has_usable_password() or not user.email:
        return False
    recipient = user.email
    message_key = password_reset_message_key(user_id=user.pk, request_id=request_id)
    language = language or customer.language or user.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(timezone.get_default_timezone()):
        context = {
            "customer": customer,
            "email": recipient,
            "brand": theme(),
            "reset_url": password_reset_url(user),
            "LANGUAGE_CODE": language,
        }
        subject = render_to_string("customers/email/password_reset_subject.txt", context).strip()
        text = render_to_string("customers/email/password_reset.txt", context)
        html = render_to_string("customers/email/password_reset.html", context)
    message_id = delivery_message_id(message_key=message_key, recipient=recipient)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient], headers={"Message-ID": message_id})
    message.attach_alternative(html, "text/html")

    def send(delivery) -> str:
        message.send()
        return message_id

    def record_sent(delivery) -> None:
        event_record(customer=customer, kind=EventKind.EMAIL_SENT, data={"template": PASSWORD_RESET_TEMPLATE})

    return deliver_once(message_key=message_key, recipient=recipient, channel="email", send=send,
                        on_sent=record_sent) is not None
