"""Opens, clicks and scans: the open pixel, the signed click redirect that adds the UTM parameters
(and never redirects anywhere a message did not point), short links with and without a recipient,
first-open semantics, machine opens, repeats rate-limited. Recipients are built by
tests/campaigns/tracking_world.py (the lead's sender lands separately)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.core.cache import cache

from campaigns import tracking
from campaigns.links import link_for, link_url
from campaigns.models import CampaignRecipient, TrackedLink
from customers.models import CustomerEvent, EventKind
from kernel.models import DomainEvent
from tests.campaigns.tracking_world import IPHONE, make_campaign, make_customer, make_recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(shop):
    return make_campaign(utm_campaign="winter-sale")


@pytest.fixture
def recipient(campaign):
    return make_recipient(campaign, make_customer())


def _path(url: str) -> str:
    return urlsplit(url).path + (("?" + urlsplit(url).query) if urlsplit(url).query else "")


def _events(kind=None):
    events = CustomerEvent.objects.order_by("id")
    return list(events.filter(kind=kind) if kind else events)


# --- the open pixel -------------------------------------------------------------------------------

def test_the_open_pixel_is_a_transparent_gif_never_cached_and_records_the_first_open(client, recipient):
    url = tracking.open_pixel_url(recipient)
    assert url.startswith("http") and "/t/o/" in url and url.endswith(".gif")
    response = client.get(_path(url), HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif" and response.content.startswith(b"GIF89a")
    assert len(response.content) == 43
    assert "no-store" in response["Cache-Control"]
    recipient.refresh_from_db()
    assert recipient.opened_at is not None and recipient.clicked_at is None
    [event] = _events()
    assert event.kind == EventKind.EMAIL_OPENED and event.customer_id == recipient.customer_id
    assert event.data == {"campaign": recipient.campaign_id, "channel": "email", "recipient": recipient.pk}
    assert event.subject == f"campaign:{recipient.campaign_id}"
    [published] = DomainEvent.objects.filter(type="campaigns.message_opened")
    assert published.payload["recipient_id"] == recipient.pk
    assert published.payload["first"] is True and published.payload["machine"] is False


@pytest.mark.parametrize("token", ["nonsense", "1:abc", "tampered"])
def test_a_bad_pixel_token_still_gets_the_gif_and_records_nothing(client, recipient, token):
    if token == "tampered":  # another recipient's id under this recipient's signature
        good = tracking.open_token(recipient.pk)
        token = signing.b62_encode(recipient.pk + 1) + good[good.index(":"):]
    response = client.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    assert not CustomerEvent.objects.exists() and not DomainEvent.objects.filter(type__startswith="campaigns").exists()
    recipient.refresh_from_db()
    assert recipient.opened_at is None


def test_the_pixel_of_a_deleted_recipient_still_gets_the_gif(client, recipient):
    path = _path(tracking.open_pixel_url(recipient))
    recipient.campaign.delete()
    response = client.get(path, HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert not CustomerEvent.objects.exists()


def test_the_first_open_time_stays_and_repeats_within_the_hour_append_no_event(client, recipient):
    path = _path(tracking.open_pixel_url(recipient))
    client.get(path, HTTP_USER_AGENT=IPHONE)
    recipient.refresh_from_db()
    first = recipient.opened_at
    for _ in range(3):
        client.get(path, HTTP_USER_AGENT=IPHONE)
    assert len(_events(EventKind.EMAIL_OPENED)) == 1
    cache.clear()  # an hour later
    client.get(path, HTTP_USER_AGENT=IPHONE)
    assert len(_events(EventKind.EMAIL_OPENED)) == 2
    recipient.refresh_from_db()
    assert recipient.opened_at == first
    assert [e.payload["first"] for e in DomainEvent.objects.filter(type="campaigns.message_opened")
            .order_by("id")] == [True, False]


@pytest.mark.parametrize("who", [
    {"HTTP_USER_AGENT": "Mozilla/5.0"},  # Apple Mail Privacy Protection's prefetch
    {"HTTP_USER_AGENT": IPHONE, "REMOTE_ADDR": "17.58.101.3"},  # from Apple's network
    {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))"},  # a mail scanner
    {},  # no user agent at all
])
def test_a_machine_open_is_recorded_flagged_and_is_not_an_open(client, recipient, who):
    client.get(_path(tracking.open_pixel_url(recipient)), **who)
    [event] = _events(EventKind.EMAIL_OPENED)
    assert event.data["machine"] is True
    recipient.refresh_from_db()
    assert recipient.opened_at is None
    # the person opening it later is an open, even within the hour of the prefetch
    client.get(_path(tracking.open_pixel_url(recipient)), HTTP_USER_AGENT=IPHONE)
    recipient.refresh_from_db()
    assert recipient.opened_at is not None
    assert [e.data.get("machine", False) for e in _events(EventKind.EMAIL_OPENED)] == [True, False]


def test_the_open_of_an_erased_customer_records_nothing(client, recipient):
    from customers.models import Customer

    Customer.objects.filter(pk=recipient.customer_id).update(erased_at="2026-11-01T00:00:00Z")
    client.get(_path(tracking.open_pixel_url(recipient)), HTTP_USER_AGENT=IPHONE)
    assert not CustomerEvent.objects.exists()


def test_recording_an_open_takes_a_fixed_number_of_queries(recipient, django_assert_num_queries):
    # savepoint, the recipient, the first-open update, the customer event, the domain event, release
    with django_assert_num_queries(6):
        assert tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=IPHONE) is True
    with django_assert_num_queries(0):  # a repeat within the hour touches no table
        assert tracking.recipient_open_record(recipient_id=recipient.pk, user_agent=IPHONE) is False


# --- the click redirect ---------------------------------------------------------------------------

def test_a_click_redirects_with_the_utm_parameters_and_records_the_click_and_an_open(client, recipient):
    url = tracking.click_url(recipient, "https://shop.example.jp/products/linen-shirt?color=navy#size")
    response = client.get(_path(url), HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path, target.fragment) == (
        "https", "shop.example.jp", "/products/linen-shirt", "size")
    assert parse_qs(target.query) == {"color": ["navy"], "utm_source": ["omnishop"], "utm_medium": ["email"],
                                      "utm_campaign": ["winter-sale"], "utm_content": ["email-ja"]}
    recipient.refresh_from_db()
    assert recipient.clicked_at is not None and recipient.opened_at == recipient.clicked_at  # a click is an open
    [event] = _events()
    assert event.kind == EventKind.EMAIL_CLICKED
    assert event.data == {"campaign": recipient.campaign_id, "channel": "email", "recipient": recipient.pk,
                          "url": "https://shop.example.jp/products/linen-shirt?color=navy#size"}
    [published] = DomainEvent.objects.filter(type="campaigns.link_clicked")
    assert published.payload["url"].endswith("#size") and published.payload["first"] is True


def test_a_click_on_a_shop_path_keeps_its_own_utm_and_uses_the_campaign_code_without_a_utm_name(client, shop):
    campaign = make_campaign()
    recipient = make_recipient(campaign, make_customer(), channel="line", language="en")
    response = client.get(_path(tracking.click_url(recipient, "/products/linen-shirt/?utm_source=newsletter")),
                          HTTP_USER_AGENT=IPHONE)
    target = urlsplit(response["Location"])
    assert target.path == "/products/linen-shirt/" and not target.netloc
    assert parse_qs(target.query) == {"utm_source": ["newsletter"], "utm_medium": ["line"],
                                      "utm_campaign": [campaign.code.lower()], "utm_content": ["line-en"]}
    assert _events()[0].kind == EventKind.LINE_CLICKED


@pytest.mark.parametrize("mangle", [
    # the target swapped for another under the original signature
    lambda token: token.split(".")[0] + "." + signing.b64_encode(b"https://evil.example/").decode()
    + token[token.rindex(":"):],
    lambda token: token[:-2] + ("aa" if not token.endswith("aa") else "bb"),
    lambda token: "not-a-token",
])
def test_a_tampered_click_token_is_not_found_and_redirects_nowhere(client, recipient, mangle):
    token = tracking.click_token(recipient.pk, "https://shop.example.jp/sale")
    response = client.get(f"/t/c/{mangle(token)}/", HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 404
    assert not CustomerEvent.objects.exists()
    recipient.refresh_from_db()
    assert recipient.clicked_at is None


@pytest.mark.parametrize("target", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x",
                                    "//evil.example/", "products/x", ""])
def test_only_shop_paths_and_http_addresses_become_tracked_links(recipient, target):
    with pytest.raises(ValueError):
        tracking.click_url(recipient, target)


@pytest.mark.parametrize("target", ["mailto:info@example.jp", "tel:03-1234-5678"])
def test_an_address_or_phone_link_in_a_message_is_left_untracked(recipient, target):
    assert tracking.click_url(recipient, target) == target


def test_repeated_clicks_within_a_minute_append_one_event_and_a_second_link_its_own(client, recipient):
    sale, shirt = (_path(tracking.click_url(recipient, path)) for path in ("/sale/", "/products/linen-shirt/"))
    for _ in range(3):
        assert client.get(sale, HTTP_USER_AGENT=IPHONE).status_code == 302
    client.get(shirt, HTTP_USER_AGENT=IPHONE)
    assert [e.data["url"] for e in _events(EventKind.EMAIL_CLICKED)] == ["/sale/", "/products/linen-shirt/"]


def test_a_scanners_click_still_redirects_but_is_flagged_and_no_click(client, recipient):
    response = client.get(_path(tracking.click_url(recipient, "/sale/")),
                          HTTP_USER_AGENT="Mozilla/5.0 (compatible; Mimecast URL Protect)")
    assert response.status_code == 302
    [event] = _events()
    assert event.data["machine"] is True
    recipient.refresh_from_db()
    assert recipient.clicked_at is None and recipient.opened_at is None


def test_the_click_of_a_deleted_campaign_still_reaches_its_page(client, recipient):
    path = _path(tracking.click_url(recipient, "/sale/"))
    recipient.campaign.delete()
    response = client.get(path, HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302 and response["Location"] == "/sale/"


# --- short links (/r/<code>/): QR codes on printed pieces, SMS links -------------------------------

def test_a_postcard_scan_with_its_recipient_token_is_that_recipients_scan(client, campaign):
    recipient = make_recipient(campaign, make_customer(), channel="postcard")
    link = link_for(campaign=campaign, channel="postcard", target="/stores/shibuya/")
    response = client.get(_path(link_url(link, recipient_id=recipient.pk)), HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["utm_medium"] == ["postcard"] and query["utm_content"] == ["postcard-ja"]
    [event] = _events()
    assert event.kind == EventKind.QR_SCANNED and event.customer_id == recipient.customer_id
    assert event.data == {"campaign": campaign.pk, "channel": "postcard", "recipient": recipient.pk,
                          "url": "/stores/shibuya/", "link": link.code}
    recipient.refresh_from_db()
    assert recipient.clicked_at is not None
    assert TrackedLink.objects.get(pk=link.pk).clicks == 1
    assert DomainEvent.objects.get(type="campaigns.link_clicked").payload["link_id"] == link.pk


def test_a_scan_without_a_recipient_token_is_only_counted(client, campaign):
    link = link_for(campaign=campaign, channel="pop", target="/sale/")
    for _ in range(2):
        response = client.get(_path(link_url(link)), HTTP_USER_AGENT=IPHONE)
        assert response.status_code == 302
    assert TrackedLink.objects.get(pk=link.pk).clicks == 2
    assert not CustomerEvent.objects.exists()
    assert not DomainEvent.objects.filter(type__startswith="campaigns").exists()


def test_a_recipient_token_of_another_campaign_or_altered_is_an_anonymous_scan(client, campaign):
    other = make_recipient(make_campaign("春のセール"), make_customer(2), channel="postcard")
    link = link_for(campaign=campaign, channel="postcard", target="/sale/")
    client.get(_path(link_url(link, recipient_id=other.pk)), HTTP_USER_AGENT=IPHONE)
    client.get(_path(link_url(link)) + "?t=1:forged", HTTP_USER_AGENT=IPHONE)
    assert TrackedLink.objects.get(pk=link.pk).clicks == 2
    assert not CustomerEvent.objects.exists()
    assert CampaignRecipient.objects.get(pk=other.pk).clicked_at is None


def test_an_sms_short_link_with_its_recipient_token_is_an_sms_click(client, campaign):
    recipient = make_recipient(campaign, make_customer(), channel="sms", address="09012345678")
    link = link_for(campaign=campaign, channel="sms", target="/sale/")
    client.get(_path(link_url(link, recipient_id=recipient.pk)), HTTP_USER_AGENT=IPHONE)
    [event] = _events()
    assert event.kind == EventKind.SMS_CLICKED


def test_an_unknown_short_link_is_not_found(client, shop):
    assert client.get("/r/nothing/").status_code == 404


def test_the_customer_timeline_names_the_campaign_an_open_was_of(client, recipient, staff):
    from kernel.subjects import subject_labels

    client.get(_path(tracking.open_pixel_url(recipient)), HTTP_USER_AGENT=IPHONE)
    [event] = _events()
    label = subject_labels([event.subject], user=staff["hq_marketer"])[event.subject]
    assert recipient.campaign.name in label.text
    assert label.url == f"/console/campaigns/{recipient.campaign_id}/"
    assert subject_labels(["campaign:999999"])["campaign:999999"].text == "999999"  # deleted since
