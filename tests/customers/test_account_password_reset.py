"""Storefront password reset: Django's token generator and views, the email sent as a customer
message (a django-q2 task through the delivery ledger, in the brand's email layout)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from customers.account_tasks import password_reset_send
from customers.models import EventKind
from customers.services import customer_sign_up
from kernel.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

EMAIL = "hanako@example.jp"


@pytest.fixture
def hanako(db):
    return customer_sign_up(email=EMAIL, password="pass-Word-123", family_name="山田", given_name="花子")


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    """POST the reset form and run what it queued after commit (the task runs inline in tests)."""

    def post(email, **extra):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("storefront:password_reset"), {"email": email}, **extra)
        return response, callbacks

    return post


def _reset_deliveries():
    return Delivery.objects.filter(message_key__startswith="password-reset:")


def test_a_reset_request_records_one_delivery_with_a_working_link(client, hanako, ask, mailoutbox):
    user, customer = hanako
    response, _callbacks = ask(EMAIL.upper(), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 302 and response["Location"] == reverse("storefront:password_reset_done")

    [delivery] = _reset_deliveries()
    assert (delivery.recipient, delivery.channel, delivery.status) == (EMAIL, "email", DeliveryStatus.SENT)
    [message] = mailoutbox
    assert message.to == [EMAIL] and message.extra_headers["Message-ID"] == delivery.transport_id
    html = message.alternatives[0][0]
    assert 'class="brand-header"' in html and 'class="reset-link"' in html  # the brand's email layout
    assert customer.events.filter(kind=EventKind.EMAIL_SENT, data__template="password_reset").count() == 1

    link = next(line for line in message.body.splitlines() if "/account/password-reset/" in line)
    assert link.startswith("http") and link in html
    page = client.get(link[link.index("/account/"):], follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(page.redirect_chain[-1][0], {"new_password1": "New-pass-Word-456",
                                                    "new_password2": "New-pass-Word-456"})
    assert done.status_code == 302 and done["Location"] == reverse("storefront:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("New-pass-Word-456")
    # Django's token works once: the password changed, so the same link is dead
    assert not client.get(link[link.index("/account/"):], follow=True).context["validlink"]


def test_an_unknown_email_reveals_nothing(client, hanako, ask, mailoutbox):
    known, known_callbacks = ask(EMAIL)
    unknown, unknown_callbacks = ask("nobody@example.jp")
    assert (unknown.status_code, unknown["Location"], unknown.content) == (
        known.status_code, known["Location"], known.content)
    assert len(known_callbacks) == 1 and unknown_callbacks == []
    assert [d.recipient for d in _reset_deliveries()] == [EMAIL]
    assert len(mailoutbox) == 1


def test_staff_accounts_get_no_storefront_reset(ask, mailoutbox):
    get_user_model().objects.create_user(email="staff@example.jp", password="pass-Word-123", is_staff=True)
    response, callbacks = ask("staff@example.jp")
    assert response.status_code == 302 and callbacks == []
    assert not _reset_deliveries().exists() and mailoutbox == []


def test_a_retried_task_sends_the_same_request_once_and_a_new_request_again(hanako, mailoutbox):
    user, _customer = hanako
    assert password_reset_send(user.pk, "a" * 32, "en") is True
    assert password_reset_send(user.pk, "a" * 32, "en") is False  # the queue ran it twice
    assert len(mailoutbox) == 1 and _reset_deliveries().count() == 1
    assert password_reset_send(user.pk, "b" * 32, "en") is True  # the customer asked again
    assert len(mailoutbox) == 2 and _reset_deliveries().count() == 2


def test_nothing_is_sent_to_an_account_deactivated_after_the_request(hanako, mailoutbox):
    user, _customer = hanako
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert password_reset_send(user.pk, "c" * 32, "ja") is False
    assert mailoutbox == [] and not _reset_deliveries().exists()
