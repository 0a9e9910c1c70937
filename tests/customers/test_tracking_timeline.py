"""The customer 360 timeline in the console: every event, order, message and staff interaction,
filterable by channel (htmx, no reload), paginated with constant queries; staff interactions
record how they happened."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customers import services
from customers.models import CustomerEvent, EventKind, InteractionChannel
from customers.services import customer_sign_up, event_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def customer(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="佐藤",
                                       channel=shop.web)
    return customer


def _touchpoints(shop, staff, customer, n: int = 1) -> None:
    for _ in range(n):
        event_record(customer=customer, kind=EventKind.PAGE_VIEWED, channel=shop.web, data={"path": "/"})
        event_record(customer=customer, kind=EventKind.EMAIL_SENT, subject="order:W00000001")
        event_record(customer=customer, kind=EventKind.ORDER_PLACED, channel=shop.pos_a, location=shop.store_a,
                     subject="order:W00000001", data={"total": 1200})
        services.staff_event_record(customer=customer, kind=EventKind.STAFF_NOTE, interaction="phone",
                                    note="サイズの相談", acting_user=staff["hq_marketer"])
        services.staff_event_record(customer=customer, kind=EventKind.STAFF_NOTE, interaction="social_dm",
                                    note="InstagramのDMで在庫確認", acting_user=staff["hq_marketer"])


def _kinds(response) -> list[str]:
    return [item["event"].kind for item in response.context["timeline"]]


def test_the_timeline_filters_by_channel_without_reloading_the_page(client, shop, staff, customer):
    _touchpoints(shop, staff, customer)
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customer_detail", kwargs={"pk": customer.pk})
    everything = client.get(url)
    assert len(_kinds(everything)) == 7  # with the sign-up and its consent
    phone = client.get(url, {"channel": "phone"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline")
    body = phone.content.decode()
    assert body.lstrip().startswith('<div id="timeline"') and "<html" not in body
    assert [item["event"].interaction for item in phone.context["timeline"]] == ["phone"]
    assert "電話" in body or "Phone" in body
    assert _kinds(client.get(url, {"channel": "email"})) == [EventKind.EMAIL_SENT]
    assert _kinds(client.get(url, {"channel": "store"})) == [EventKind.ORDER_PLACED]
    assert set(_kinds(client.get(url, {"channel": "online"}))) == {EventKind.PAGE_VIEWED, EventKind.SIGNED_UP,
                                                                  EventKind.CONSENT_CHANGED}
    assert [i["event"].interaction for i in client.get(url, {"channel": "social"}).context["timeline"]] == [
        "social_dm"]
    assert len(_kinds(client.get(url, {"channel": "nonsense"}))) == 7  # unknown: everything


def test_the_timeline_pages_with_constant_queries(client, shop, staff, customer, django_assert_max_num_queries):
    client.force_login(staff["hq_marketer"])
    url = reverse("console:customer_detail", kwargs={"pk": customer.pk})
    _touchpoints(shop, staff, customer, n=1)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    _touchpoints(shop, staff, customer, n=20)  # 100 more events: two pages
    with django_assert_max_num_queries(baseline) as many:
        response = client.get(url)
    assert response.context["timeline_page"].paginator.num_pages == 3
    assert len(response.context["timeline"]) == 50
    with django_assert_max_num_queries(baseline):
        older = client.get(url, {"page": 2, "channel": "phone"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline")
    assert older.status_code == 200 and len(many.captured_queries) <= baseline


def test_staff_interactions_record_their_channel_from_the_console(client, shop, staff, customer):
    client.force_login(staff["store_staff"])
    url = reverse("console:customer_event_add", kwargs={"pk": customer.pk})
    missing = client.post(url, {"kind": "staff_note", "note": "LINEで問い合わせ"}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 200 and "interaction" in missing.context["event_form"].errors
    assert not customer.events.filter(kind=EventKind.STAFF_NOTE).exists()
    client.post(url, {"kind": "staff_note", "interaction": "chat", "note": "チャットで問い合わせ"})
    assert customer.events.get(kind=EventKind.STAFF_NOTE).interaction == InteractionChannel.CHAT
    wrong = client.post(url, {"kind": "store_visit", "interaction": "phone", "note": ""})
    assert wrong.status_code == 400
    client.post(url, {"kind": "store_visit", "interaction": "store", "note": "試着"})
    visit = customer.events.get(kind=EventKind.STORE_VISIT)
    assert (visit.interaction, visit.location) == ("store", shop.store_a)


def test_the_api_lists_a_customer_s_events_by_page_and_channel(shop, staff, customer):
    _touchpoints(shop, staff, customer, n=12)
    api = APIClient()
    api.force_authenticate(staff["store_staff"])
    url = f"/api/v1/customers/{customer.pk}/events/"
    first = api.get(url).json()
    assert first["count"] == 62 and len(first["results"]) == 50 and first["next"]
    phone = api.get(url, {"channel": "phone"}).json()
    assert phone["count"] == 12 and {row["interaction"] for row in phone["results"]} == {"phone"}
    pages = api.get(url, {"kind": "page_viewed"}).json()
    assert pages["count"] == 12 and pages["results"][0]["kind_label"]


def test_anonymous_events_are_in_no_customer_s_timeline(client, shop, staff, customer):
    CustomerEvent.objects.create(kind=EventKind.PAGE_VIEWED, browser_id="ab" * 16, occurred_at=timezone.now())
    client.force_login(staff["hq_marketer"])
    response = client.get(reverse("console:customer_detail", kwargs={"pk": customer.pk}))
    assert EventKind.PAGE_VIEWED not in _kinds(response)


def test_the_timeline_puts_stored_codes_in_words(client, staff, shop):
    """A consent change says which channel and purpose and which way; a page path reads as typed."""
    from customers.consent import consent_grant

    customer = services.customer_create(family_name="山田", email="yamada@example.jp")
    consent_grant(customer=customer, channel="line", purpose="personalisation", source="staff")
    CustomerEvent.objects.create(customer=customer, kind=EventKind.PAGE_VIEWED, occurred_at=timezone.now(),
                                 data={"path": "/products/?q=%E5%9C%9F%E9%8D%8B"})
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    page = client.get(f"/console/customers/{customer.pk}/").content.decode()
    assert "LINE · Personalisation: opted in" in page
    assert "/products/?q=土鍋" in page
