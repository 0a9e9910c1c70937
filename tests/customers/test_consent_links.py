"""Email double opt-in (a signed, expiring confirmation link) and one-click unsubscribe per
RFC 8058 (a signed link that needs no login, works with the mail client's POST, and never
writes on GET). Altered or expired links: a clear error page and nothing stored."""

import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from customers import consent
from customers.consent_tasks import consent_confirmation_message_key, consent_confirmation_send
from customers.models import ConsentRecord, ConsentRequest
from customers.services import customer_create
from kernel.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanako(shop):
    return customer_create(email="hanako@example.jp", family_name="山田", given_name="花子")


def _request_opt_in(customer, capture):
    with capture(execute=True):
        return consent.consent_opt_in_request(customer=customer, source="storefront", ip_address="198.51.100.4",
                                              user_agent="Phone")


def _link(message) -> str:
    return re.search(r"https?://\S+/consent/confirm/\S+?/", message.body).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _tamper(token: str) -> str:
    return token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")


def _old_token(make):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 400 * 86400):
        return make()


# --- double opt-in ---------------------------------------------------------------------------------

def test_double_opt_in_grants_nothing_until_the_emailed_link_is_confirmed(
        hanako, client, mailoutbox, django_capture_on_commit_callbacks):
    request = _request_opt_in(hanako, django_capture_on_commit_callbacks)
    assert not consent.consent_allows(customer=hanako, channel="email")
    assert [p.pk for p in consent.consent_pending(customer=hanako)] == [request.pk]
    [message] = mailoutbox
    assert message.to == ["hanako@example.jp"]
    html = message.alternatives[0][0]
    assert "confirm-link" in html and "<h1" in html  # the brand layout, like the order emails
    assert Delivery.objects.get(message_key=consent_confirmation_message_key(request.pk)).status == DeliveryStatus.SENT
    assert hanako.events.filter(kind="email_sent", data__template="consent_confirmation").count() == 1

    path = _path(_link(message))
    page = client.get(path)  # a mail scanner following the link confirms nothing
    assert page.status_code == 200 and "hanako@example.jp" in page.content.decode()
    assert not ConsentRecord.objects.exists()

    confirmed = client.post(path, REMOTE_ADDR="192.0.2.9", HTTP_USER_AGENT="Laptop")
    assert confirmed.status_code == 200 and confirmed.context["confirmed"]
    record = ConsentRecord.objects.get()
    assert (record.channel, record.purpose, record.granted, record.source, record.ip_address, record.user_agent) == (
        "email", "marketing", True, "confirmation", "192.0.2.9", "Laptop")
    assert f"#{request.pk}" in record.source_detail
    request.refresh_from_db()
    assert request.record == record and consent.consent_pending(customer=hanako) == []
    assert consent.consent_allows(customer=hanako, channel="email")
    assert client.post(path).status_code == 200  # following it again changes nothing
    assert ConsentRecord.objects.count() == 1


def test_the_confirmation_email_is_sent_once_even_when_the_task_runs_again(
        hanako, mailoutbox, django_capture_on_commit_callbacks):
    request = _request_opt_in(hanako, django_capture_on_commit_callbacks)
    assert consent_confirmation_send(request.pk) is False
    assert len(mailoutbox) == 1
    # asking again within minutes reuses the pending request: no second email
    assert _request_opt_in(hanako, django_capture_on_commit_callbacks) == request
    assert len(mailoutbox) == 1


def test_an_expired_confirmation_link_shows_an_error_and_stores_nothing(hanako, client, settings):
    request = ConsentRequest.objects.create(customer=hanako, channel="email", purpose="marketing", source="storefront")
    token = _old_token(lambda: consent.consent_confirmation_token(request))
    for response in (client.get(f"/consent/confirm/{token}/"), client.post(f"/consent/confirm/{token}/")):
        assert response.status_code == 400
        assert response.context["expired"] is True
    assert not ConsentRecord.objects.exists()
    settings.CONSENT_CONFIRMATION_HOURS = 24 * 500  # the lifetime is a setting
    assert client.get(f"/consent/confirm/{token}/").status_code == 200


@pytest.mark.parametrize("mangle", [_tamper, lambda t: "nonsense", lambda t: signing.TimestampSigner(
    salt="customers.consent.unsubscribe").sign_object({"r": 1})])
def test_a_tampered_confirmation_link_shows_an_error_and_stores_nothing(hanako, client, mangle):
    request = ConsentRequest.objects.create(customer=hanako, channel="email", purpose="marketing", source="storefront")
    token = mangle(consent.consent_confirmation_token(request))
    response = client.post(f"/consent/confirm/{token}/")
    assert response.status_code == 400 and response.context["expired"] is False
    assert response.context["message"] in ("This confirmation link is not valid.", "この確認リンクは無効です。")
    assert not ConsentRecord.objects.exists()


def test_a_withdrawal_after_asking_voids_the_confirmation_link(hanako, client):
    request = ConsentRequest.objects.create(customer=hanako, channel="email", purpose="marketing", source="storefront")
    consent.consent_withdraw(customer=hanako, channel="email", source="staff")
    response = client.post(f"/consent/confirm/{consent.consent_confirmation_token(request)}/")
    assert response.status_code == 400
    assert not consent.consent_allows(customer=hanako, channel="email")
    assert ConsentRecord.objects.count() == 1


def test_an_opt_in_request_needs_an_email_address(shop):
    nobody = customer_create(family_name="匿名")
    with pytest.raises(Exception) as caught:
        consent.consent_opt_in_request(customer=nobody)
    assert "email" in caught.value.message_dict
    assert not ConsentRequest.objects.exists()


# --- RFC 8058 one-click unsubscribe ----------------------------------------------------------------

def test_unsubscribe_headers_follow_rfc_8058(hanako, settings):
    settings.SITE_URL = "https://shop.example.jp"
    headers = consent.consent_unsubscribe_headers(customer=hanako, channel="email", purpose="marketing")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https://shop\.example\.jp/consent/unsubscribe/[^>\s]+/>", headers["List-Unsubscribe"])
    settings.CONSENT_UNSUBSCRIBE_MAILTO = "unsubscribe@shop.example.jp"
    headers = consent.consent_unsubscribe_headers(customer=hanako)
    https, mailto = headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<https://") and mailto.startswith("<mailto:unsubscribe@shop.example.jp?subject=")


def test_the_mail_clients_one_click_post_withdraws_at_once_without_login_or_csrf_token(hanako):
    consent.consent_grant(customer=hanako, channel="email", source="storefront")
    consent.consent_grant(customer=hanako, channel="sms", source="storefront")
    url = consent.consent_unsubscribe_headers(customer=hanako)["List-Unsubscribe"].strip("<>")
    mail_client = Client(enforce_csrf_checks=True)  # no session, no cookie, no token
    response = mail_client.post(_path(url), "List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded", REMOTE_ADDR="203.0.113.50",
                                HTTP_USER_AGENT="Gmail")
    assert response.status_code == 200
    assert not consent.consent_allows(customer=hanako, channel="email")
    assert consent.consent_allows(customer=hanako, channel="sms")  # only what the link names
    record = hanako.consent_records.latest("id")
    assert (record.source, record.granted, record.acting_user, record.ip_address, record.user_agent) == (
        "unsubscribe", False, None, "203.0.113.50", "Gmail")
    assert mail_client.post(_path(url), "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded").status_code == 200
    assert hanako.consent_records.count() == 3  # a repeat records nothing


def test_get_on_the_unsubscribe_link_shows_a_button_and_writes_nothing(hanako, client):
    consent.consent_grant(customer=hanako, channel="line", purpose="personalisation", source="storefront")
    url = consent.consent_unsubscribe_url(customer=hanako, channel="line", purpose="personalisation")
    page = client.get(_path(url))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="{_path(url)}"' in html and 'method="post"' in html
    assert consent.consent_allows(customer=hanako, channel="line", purpose="personalisation")
    assert hanako.consent_records.count() == 1
    done = client.post(_path(url))  # the page's button
    assert done.status_code == 200 and done.context["done"]
    assert not consent.consent_allows(customer=hanako, channel="line", purpose="personalisation")


def test_a_tampered_or_expired_unsubscribe_link_shows_an_error_and_stores_nothing(hanako):
    consent.consent_grant(customer=hanako, channel="email", source="storefront")
    mail_client = Client(enforce_csrf_checks=True)
    good = consent.consent_unsubscribe_token(customer=hanako)
    expired = _old_token(lambda: consent.consent_unsubscribe_token(customer=hanako))
    for token, reason in ((_tamper(good), False), (expired, True)):
        for response in (mail_client.get(f"/consent/unsubscribe/{token}/"),
                         mail_client.post(f"/consent/unsubscribe/{token}/", "List-Unsubscribe=One-Click",
                                          content_type="application/x-www-form-urlencoded")):
            assert response.status_code == 400
            assert response.context["expired"] is reason
    assert consent.consent_allows(customer=hanako, channel="email")
    assert hanako.consent_records.count() == 1


def test_only_the_signed_unsubscribe_endpoint_is_csrf_exempt(hanako):
    request = ConsentRequest.objects.create(customer=hanako, channel="email", purpose="marketing", source="storefront")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/consent/confirm/{consent.consent_confirmation_token(request)}/").status_code == 403
    assert strict.post(reverse("storefront:consent"), {"consent": ["sms:marketing"]}).status_code in (302, 403)
    assert not ConsentRecord.objects.exists()


def test_an_unsubscribe_link_still_works_after_its_customer_was_merged(hanako, staff):
    """The email went to a record merged since: the link withdraws on the survivor, who holds
    the ledger now; a mail client's one-click POST must never fail silently."""
    from customers import merge

    consent.consent_grant(customer=hanako, channel="sms", purpose="marketing", source="staff")
    token = consent.consent_unsubscribe_token(customer=hanako, channel="sms", purpose="marketing")
    survivor = customer_create(family_name="山田", given_name="花子", email="hanako.new@example.jp")
    merge.customer_merge(survivor=survivor, merged=hanako, acting_user=staff["hq_marketer"])
    assert consent.consent_allows(customer=survivor, channel="sms", purpose="marketing")
    response = Client().post(reverse("storefront:consent_unsubscribe", args=[token]),
                             {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not consent.consent_allows(customer=survivor, channel="sms", purpose="marketing")
