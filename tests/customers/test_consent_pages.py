"""The storefront preference centre (channel × purpose, with and without htmx) and the console's
consent card (the decision in force with its source and time, the ledger with who and IP, and
staff changes that need a source)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import consent
from customers.models import ConsentRecord, ConsentRequest
from customers.services import customer_sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hanako(shop):
    _user, customer = customer_sign_up(email="hanako@example.jp", password="pass-Word-123", family_name="山田",
                                       given_name="花子", phone="090-1234-5678", channel=shop.web)
    return customer


@pytest.fixture
def hanako_client(client, hanako):
    client.force_login(hanako.user)
    return client


def _ticked(customer) -> set[str]:
    return {key for (channel, purpose), record in consent.consent_grid(customer=customer).items()
            if record and record.granted for key in [f"{channel}:{purpose}"]}


# --- storefront ----------------------------------------------------------------------------------

def test_the_preference_centre_needs_a_login_and_shows_every_channel_and_purpose(client, hanako_client):
    html = hanako_client.get(reverse("storefront:consent")).content.decode()
    assert html.count('type="checkbox" name="consent"') == 20
    assert 'value="push:personalisation"' in html and 'value="phone:analytics"' in html
    client.logout()
    assert client.get(reverse("storefront:consent")).status_code == 302


def test_saving_the_grid_grants_and_withdraws_and_email_marketing_waits_for_confirmation(
        hanako, hanako_client, mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("storefront:consent")
    with django_capture_on_commit_callbacks(execute=True):
        response = hanako_client.post(url, {"consent": ["sms:marketing", "line:personalisation", "email:marketing"]},
                                      REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="iPhone")
    assert response.status_code == 302 and response["Location"] == url
    assert _ticked(hanako) == {"sms:marketing", "line:personalisation"}
    assert ConsentRequest.objects.filter(customer=hanako, channel="email", purpose="marketing").count() == 1
    assert len(mailoutbox) == 1
    record = hanako.consent_records.get(channel="sms", purpose="marketing", granted=True)
    assert (record.source, record.acting_user, record.ip_address, record.user_agent) == (
        "storefront", hanako.user, "192.0.2.1", "iPhone")
    page = hanako_client.get(url).content.decode()
    assert 'value="sms:marketing" checked' in page and "consent-grid__pending" in page

    hanako_client.post(url, {"consent": ["line:personalisation"]})  # sms unticked
    assert _ticked(hanako) == {"line:personalisation"}
    assert hanako.consent_records.filter(channel="sms", granted=False).exists()
    assert hanako.consent_records.filter(channel="email").count() == 1  # the explicit no at sign-up only


def test_a_tab_left_open_changes_only_the_boxes_changed_on_it(hanako, hanako_client):
    """The page was drawn with SMS ticked; an unsubscribe link withdrew SMS since. Saving the old
    page to tick LINE must not grant SMS again."""
    from customers import consent

    url = reverse("storefront:consent")
    consent.consent_grant(customer=hanako, channel="sms", purpose="marketing", source="staff")
    page = hanako_client.get(url).content.decode()
    shown = re.search(r'name="shown" value="([^"]*)"', page).group(1)
    assert "sms:marketing" in shown.split(",")
    consent.consent_withdraw(customer=hanako, channel="sms", purpose="marketing", source="unsubscribe")
    hanako_client.post(url, {"shown": shown, "consent": ["sms:marketing", "line:marketing"]})
    assert not consent.consent_allows(customer=hanako, channel="sms", purpose="marketing")
    assert consent.consent_allows(customer=hanako, channel="line", purpose="marketing")


def test_htmx_gets_the_grid_back_in_place(hanako, hanako_client):
    response = hanako_client.post(reverse("storefront:consent"), {"consent": ["push:marketing"]},
                                  HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<form id="consent-grid"')
    assert 'value="push:marketing" checked' in html and "notice--success" in html
    assert _ticked(hanako) == {"push:marketing"}


def test_an_unknown_box_is_refused_and_nothing_is_stored(hanako, hanako_client):
    before = ConsentRecord.objects.count()
    response = hanako_client.post(reverse("storefront:consent"), {"consent": ["sms:marketing", "fax:marketing"]},
                                  HTTP_HX_REQUEST="true")
    assert "fax:marketing" in response.context["consent_error"]
    assert ConsentRecord.objects.count() == before
    response = hanako_client.post(reverse("storefront:consent"), {"consent": ["sms:marketing", "sms:profiling"]})
    assert response.status_code == 302
    assert ConsentRecord.objects.count() == before


def test_the_account_page_includes_the_grid(hanako, hanako_client):
    html = hanako_client.get(reverse("storefront:account")).content.decode()
    assert 'id="consent-grid"' in html
    assert f'name="next" value="{reverse("storefront:account")}#consent"' in html


def _queries(get) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert get().status_code == 200
    return len(captured)


def test_the_preference_centre_queries_do_not_grow_with_the_ledger(hanako, hanako_client,
                                                                    django_assert_max_num_queries):
    def page():
        return hanako_client.get(reverse("storefront:consent"))

    page()
    few = _queries(page)
    for n in range(30):
        consent.consent_decide(customer=hanako, channel="sms", purpose="analytics", granted=n % 2 == 0,
                               source="staff", acting_user=hanako.user)
        ConsentRequest.objects.create(customer=hanako, channel="email", purpose="marketing", source="storefront")
    with django_assert_max_num_queries(few):
        page()


# --- console -------------------------------------------------------------------------------------

def _detail(customer) -> str:
    return reverse("console:customer_detail", kwargs={"pk": customer.pk})


def _change(customer) -> str:
    return reverse("console:customer_consent", kwargs={"pk": customer.pk})


def test_the_console_card_shows_decision_source_time_and_the_ledger_with_who_and_ip(client, staff, hanako):
    consent.consent_grant(customer=hanako, channel="line", purpose="personalisation", source="pos",
                          source_detail="渋谷店", acting_user=staff["store_staff"], ip_address="10.1.2.3")
    client.force_login(staff["hq_marketer"])
    response = client.get(_detail(hanako))
    html = response.content.decode()
    rows = {row["channel"]: row for row in response.context["consent_rows"]}
    cell = rows["line"]["cells"][1]
    assert (cell["purpose"], cell["granted"], cell["record"].source) == ("personalisation", True, "pos")
    assert "10.1.2.3" in html and "渋谷店" in html and 'name="source"' in html
    assert html.count("badge plain badge-muted") >= 15  # never asked


def test_staff_record_a_decision_with_its_source_and_nothing_without_one(client, staff, hanako):
    client.force_login(staff["hq_marketer"])
    response = client.post(_change(hanako), {"channel": "phone", "purpose": "marketing", "granted": "1"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "source" in response.context["consent_form"].errors
    assert not hanako.consent_records.filter(channel="phone").exists()
    response = client.post(_change(hanako), {"channel": "phone", "purpose": "marketing", "granted": "1",
                                             "source": "staff", "source_detail": "お電話で"},
                           HTTP_HX_REQUEST="true", REMOTE_ADDR="10.0.0.8")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="consent">') and "row-note ok" in html
    record = hanako.consent_records.get(channel="phone")
    assert (record.source, record.source_detail, record.acting_user, record.ip_address) == (
        "staff", "お電話で", staff["hq_marketer"], "10.0.0.8")
    response = client.post(_change(hanako), {"channel": "phone", "purpose": "marketing", "granted": "0",
                                             "source": "confirmation"})
    assert response.status_code == 302  # staff cannot claim a customer's own confirmation
    assert hanako.consent_records.filter(channel="phone").count() == 1


def test_the_console_page_queries_do_not_grow_with_the_ledger(client, staff, hanako, django_assert_max_num_queries):
    client.force_login(staff["hq_marketer"])
    client.get(_detail(hanako))
    few = _queries(lambda: client.get(_detail(hanako)))
    for n in range(30):
        consent.consent_decide(customer=hanako, channel="email", purpose="analytics", granted=n % 2 == 0,
                               source="staff", acting_user=staff["store_staff" if n % 3 else "hq_marketer"])
    with django_assert_max_num_queries(few):
        assert client.get(_detail(hanako)).status_code == 200
