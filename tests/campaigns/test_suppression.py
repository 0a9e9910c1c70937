"""The suppression list: its services (normalised addresses, audited, one query for a batch),
the console page for HQ marketers and /api/v1/suppressions/."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Suppression
from campaigns.suppression import is_suppressed, suppressed_addresses, suppression_add, suppression_remove
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db

SUPPRESSION_PERMISSIONS = ("view_suppression", "add_suppression", "delete_suppression")


@pytest.fixture
def marketer(staff):
    """The HQ marketer with the suppression list's permissions (campaigns' AppConfig will give
    the role these; granted directly until it does)."""
    user = staff["hq_marketer"]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="campaigns",
                                                         codename__in=SUPPRESSION_PERMISSIONS))
    return user


@pytest.fixture
def console(client, marketer):
    client.force_login(marketer)
    return client


# --- services -------------------------------------------------------------------------------

def test_a_mobile_number_is_kept_in_e164_whatever_way_it_was_written(marketer):
    row, created = suppression_add(channel="sms", address="０９０－１２３４－５６７８", acting_user=marketer)
    assert created
    assert row.address == "+819012345678"
    assert is_suppressed("sms", "090-1234-5678")
    assert is_suppressed("sms", "+81 90 1234 5678")


def test_an_email_address_is_kept_lower_cased(marketer):
    row, _created = suppression_add(channel="email", address=" Taro@Example.JP ", acting_user=marketer)
    assert row.address == "taro@example.jp"
    assert is_suppressed("email", "TARO@example.jp")


def test_adding_is_audited_with_the_staff_member_and_adding_again_keeps_the_first_reason(marketer):
    suppression_add(channel="email", address="taro@example.jp", reason="complaint", detail="電話で苦情",
                    acting_user=marketer)
    row, created = suppression_add(channel="email", address="taro@example.jp", reason="manual", acting_user=marketer)

    assert not created
    assert row.reason == "complaint"
    [entry] = AuditEntry.objects.filter(action="suppression_add")
    assert entry.actor == marketer
    assert entry.changes["address"] == "taro@example.jp"


@pytest.mark.parametrize(("channel", "address", "field"), [
    ("sms", "03-1234-5678", "address"), ("email", "not-an-address", "address"), ("line", "U 123", "address"),
    ("postcard", "東京都渋谷区", "channel")])
def test_an_address_the_channel_cannot_have_is_refused_naming_the_field(marketer, channel, address, field):
    with pytest.raises(ValidationError) as refused:
        suppression_add(channel=channel, address=address, acting_user=marketer)
    assert field in refused.value.message_dict
    assert not Suppression.objects.exists()


def test_removing_deletes_the_row_and_is_audited(marketer):
    row, _created = suppression_add(channel="line", address="Uabc", acting_user=marketer)
    suppression_remove(suppression=row, acting_user=marketer)
    assert not is_suppressed("line", "Uabc")
    assert AuditEntry.objects.filter(action="suppression_remove", actor=marketer).count() == 1


def test_a_batch_is_checked_in_one_query_and_answers_the_addresses_as_given(marketer, django_assert_num_queries):
    suppression_add(channel="sms", address="090-1111-2222", acting_user=marketer)
    suppression_add(channel="sms", address="080-3333-4444", acting_user=marketer)
    given = ["09011112222", "+81 80 3333 4444", "070-5555-6666", "not a number"]
    with django_assert_num_queries(1):
        found = suppressed_addresses("sms", given)
    assert found == {"09011112222", "+81 80 3333 4444"}


def test_a_suppressed_address_is_suppressed_on_its_channel_only(marketer):
    suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)
    assert suppressed_addresses("email", ["taro@example.jp"]) == {"taro@example.jp"}
    assert suppressed_addresses("line", ["taro@example.jp"]) == set()


# --- console --------------------------------------------------------------------------------

def test_the_page_lists_and_searches_by_a_number_written_another_way(console, marketer):
    suppression_add(channel="sms", address="090-1234-5678", acting_user=marketer)
    suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)

    page = console.get(reverse("console:suppressions"), {"q": "０９０１２３４５６７８"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "+819012345678" in html
    assert "taro@example.jp" not in html


def test_the_page_filters_by_channel_and_htmx_gets_only_the_results(console, marketer):
    suppression_add(channel="sms", address="090-1234-5678", acting_user=marketer)
    suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)

    page = console.get(reverse("console:suppressions"), {"channel": "email"}, HTTP_HX_REQUEST="true",
                       HTTP_HX_TARGET="results")
    html = page.content.decode()
    assert "taro@example.jp" in html and "+819012345678" not in html
    assert "<html" not in html


def test_the_page_makes_as_many_queries_for_fifty_rows_as_for_one(console, marketer):
    suppression_add(channel="email", address="a0@example.jp", acting_user=marketer)
    console.get(reverse("console:suppressions"))  # caches warmed (the brand theme)
    with CaptureQueriesContext(connection) as one:
        console.get(reverse("console:suppressions"))
    for number in range(1, 50):
        suppression_add(channel="email", address=f"a{number}@example.jp", acting_user=marketer)
    with CaptureQueriesContext(connection) as fifty:
        assert console.get(reverse("console:suppressions")).content.decode().count("@example.jp") >= 50
    assert len(fifty) == len(one)


def test_staff_add_an_address_from_the_page(console, marketer):
    response = console.post(reverse("console:suppression_add"),
                            {"channel": "sms", "address": "090-1234-5678", "reason": "manual",
                             "detail": "店頭で依頼"})
    assert response.status_code == 302
    row = Suppression.objects.get()
    assert (row.address, row.created_by, row.detail) == ("+819012345678", marketer, "店頭で依頼")


def test_a_bad_address_on_the_page_shows_the_error_and_stores_nothing(console):
    response = console.post(reverse("console:suppression_add"),
                            {"channel": "sms", "address": "03-1234-5678", "reason": "manual"})
    assert response.status_code == 400
    assert response.context["add_form"].errors["address"]
    assert not Suppression.objects.exists()


def test_staff_remove_an_address_from_the_page(console, marketer):
    row, _created = suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)
    response = console.post(reverse("console:suppression_remove", args=[row.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == reverse("console:suppressions")
    assert not Suppression.objects.exists()


def test_store_staff_cannot_see_or_change_the_list(client, staff, marketer):
    row, _created = suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)
    client.force_login(staff["store_staff"])
    assert client.get(reverse("console:suppressions")).status_code == 403
    assert client.post(reverse("console:suppression_remove", args=[row.pk])).status_code == 403
    assert Suppression.objects.exists()


# --- API ------------------------------------------------------------------------------------

def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_the_api_adds_an_address_once_and_answers_200_the_second_time(marketer):
    url = reverse("api:suppression-list")
    first = api(marketer).post(url, {"channel": "sms", "address": "090-1234-5678"}, format="json")
    second = api(marketer).post(url, {"channel": "sms", "address": "09012345678"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["address"] == "+819012345678"
    assert first.json()["reason"] == "manual"
    assert second.json()["id"] == first.json()["id"]


def test_the_api_answers_400_naming_the_address_when_it_is_no_mobile_number(marketer):
    response = api(marketer).post(reverse("api:suppression-list"), {"channel": "sms", "address": "0120-123-456"},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["address"]


def test_the_api_lists_filters_and_removes(marketer):
    suppression_add(channel="sms", address="090-1234-5678", acting_user=marketer)
    row, _created = suppression_add(channel="email", address="taro@example.jp", acting_user=marketer)

    listed = api(marketer).get(reverse("api:suppression-list"), {"channel": "email"}).json()
    assert [item["address"] for item in listed["results"]] == ["taro@example.jp"]
    assert api(marketer).delete(reverse("api:suppression-detail", args=[row.pk])).status_code == 204
    assert not is_suppressed("email", "taro@example.jp")


def test_the_api_refuses_store_staff(staff):
    response = api(staff["store_staff"]).post(reverse("api:suppression-list"),
                                              {"channel": "email", "address": "a@example.jp"}, format="json")
    assert response.status_code == 403
