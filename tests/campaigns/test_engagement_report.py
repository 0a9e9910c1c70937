"""HQ's engagement report (campaigns.reports.engagement_report): messages sent, opened, clicked and
converted per segment × message type × channel over a date range, with the rates; a chart with its
table, CSV and the API; a constant number of queries whatever the range and the segments."""

import csv
import io
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns import conversions, reports, tracking
from campaigns.reports import Period
from campaigns.sending import sent_event
from customers import segments
from customers.models import EventKind
from customers.services import event_record, events_record_many
from tests.campaigns.tracking_world import IPHONE, make_campaign, make_customer, make_recipient

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD = Period(date(2026, 11, 8), date(2026, 11, 14))


def _tokyo(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


def _send(campaign, people, when, channel="email"):
    """What the sender leaves: a recipient row, sent, and its sent event on the customer's stream."""
    sent = [make_recipient(campaign, person, channel=channel, sent_at=when) for person in people]
    events_record_many([sent_event(campaign, r.customer_id, channel, when) for r in sent])
    return sent


def _world(n_people: int = 4, campaigns: int = 1):
    people = [make_customer(n, given_name="花子" if n % 2 else "太郎") for n in range(n_people)]
    vip = segments.segment_create(name="VIP", rules={"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": "interests", "operator": "any_of", "value": ["茶"]}]}]})
    for person in people[:2]:
        person.interests = ["茶"]
        person.save()
    segments.segment_create(name="空のリスト", kind="static")
    for index in range(campaigns):
        campaign = make_campaign(f"冬のセール{index}", started_at=_tokyo(11, 9))
        sent = _send(campaign, people, _tokyo(11, 9))
        with mock.patch("django.utils.timezone.now", return_value=_tokyo(11, 9, 11)):
            tracking.recipient_open_record(recipient_id=sent[0].pk, user_agent=IPHONE)
            tracking.recipient_open_record(recipient_id=sent[2].pk, user_agent="Mozilla/5.0")  # Apple's proxy
            sent[0].refresh_from_db()
            tracking.recipient_click_record(recipient=sent[0], url="/sale/", user_agent=IPHONE)
        conversions.conversion_record_touch(customer_id=sent[0].customer_id, order_id=None,
                                            order_number=f"W{index}", revenue=5500, at=_tokyo(11, 9, 12))
    for person in people[:3]:  # a journey's email, and a transactional one, in the period
        event_record(customer=person, kind=EventKind.EMAIL_SENT, subject="journey:3:welcome",
                     data={"journey": 3, "channel": "email"}, occurred_at=_tokyo(11, 10))
    event_record(customer=people[1], kind=EventKind.EMAIL_OPENED, subject="journey:3:welcome",
                 data={"journey": 3, "channel": "email"}, occurred_at=_tokyo(11, 10, 12))
    event_record(customer=people[3], kind=EventKind.EMAIL_SENT, subject="order:W9",
                 data={"template": "placed"}, occurred_at=_tokyo(11, 11))
    old = make_campaign("昔のセール", started_at=_tokyo(10, 1))
    _send(old, people, _tokyo(10, 1))  # outside the range
    return people, vip


def test_engagement_per_segment_type_and_channel_with_rates(shop):
    _people, vip = _world()
    report = reports.engagement_report(period=PERIOD)
    assert [segment.key for segment in report.segments][:2] == ["all", str(vip.pk)]
    assert [segment.label for segment in report.segments][1:] == ["VIP", "空のリスト"]
    everyone = report.everyone
    cells = {(cell.message_type, cell.channel): cell.figures for cell in everyone.cells}
    campaign = cells[("campaign", "email")]
    assert (campaign.sent, campaign.opened, campaign.clicked, campaign.converted) == (4, 1, 1, 1)
    assert campaign.open_rate == 0.25 and campaign.conversion_rate == 0.25
    journey = cells[("journey", "email")]
    assert (journey.sent, journey.opened) == (3, 1)
    assert cells[("transactional", "email")].sent == 1
    assert (everyone.total.sent, everyone.total.opened, everyone.total.clicked) == (8, 2, 1)
    assert [cell.message_type for cell in everyone.types] == ["campaign", "journey", "transactional"]
    in_vip = {(cell.message_type, cell.channel): cell.figures for cell in report.segments[1].cells}
    assert (in_vip[("campaign", "email")].sent, in_vip[("campaign", "email")].opened,
            in_vip[("campaign", "email")].converted) == (2, 1, 1)
    assert (in_vip[("journey", "email")].sent, in_vip[("journey", "email")].opened) == (2, 1)
    assert report.segments[2].total.sent == 0 and report.segments[2].cells == []


def test_the_engagement_report_reads_in_three_queries_whatever_the_range_and_segments(shop):
    _world()
    with CaptureQueriesContext(connection) as few:
        reports.engagement_report(period=PERIOD)
    for n in range(4):
        segments.segment_create(name=f"追加{n}", rules={"match": "all", "groups": [{"match": "all", "conditions": [
            {"field": "language", "operator": "in", "value": ["ja"]}]}]})
    with CaptureQueriesContext(connection) as many:
        report = reports.engagement_report(period=Period(date(2025, 1, 1), date(2026, 12, 31)))
    assert len(few) == len(many) == 3
    assert report.everyone.total.sent == 12  # the old campaign is in the two years


def test_the_chart_has_bars_per_segment_and_the_table_behind(shop):
    _world()
    chart = reports.engagement_chart(reports.engagement_report(period=PERIOD))
    assert [s.key for s in chart.series] == ["opened", "clicked", "converted"] and not chart.totals
    assert chart.rows[0][1:] == (25, 12, 12)  # 2 of 8 opened, 1 clicked, 1 converted (percent)
    empty = reports.engagement_chart(reports.engagement_report(period=Period(date(2020, 1, 1), date(2020, 1, 2))))
    assert empty.empty


def test_the_page_csv_and_query_count(client, shop, staff):
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    url = reverse("console:report_engagement") + "?start=2026-11-08&end=2026-11-14"
    client.get(url)
    with CaptureQueriesContext(connection) as empty:
        assert client.get(url).status_code == 200
    _world(campaigns=3)
    with CaptureQueriesContext(connection) as full:
        html = client.get(url).content.decode()
    assert len(full) == len(empty)
    assert "engagement-chart" in html and "VIP" in html and "Journeys" in html and "<table" in html
    body = client.get(url + "&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Segment", "Message type", "Channel", "Sent"]
    assert ["All customers", "Campaigns", "Email", "12", "3", "3", "3", "25.0", "25.0", "25.0"] in rows
    client.force_login(staff["store_staff"])
    assert client.get(url).status_code == 403


def test_the_api_gives_the_engagement_report_and_is_in_the_schema(client, shop, staff):
    _world()
    api = APIClient()
    api.force_authenticate(staff["hq_marketer"])
    body = api.get("/api/v1/reports/engagement/", {"start": "2026-11-08", "end": "2026-11-14"}).json()
    everyone = body["segments"][0]
    assert everyone["key"] == "all" and everyone["total"]["sent"] == 8 and everyone["total"]["converted"] == 1
    cell = next(c for c in everyone["cells"] if (c["message_type"], c["channel"]) == ("campaign", "email"))
    assert cell["figures"]["open_rate"] == 0.25
    bad = api.get("/api/v1/reports/engagement/", {"start": "2026-11-14", "end": "2026-11-08"})
    assert bad.status_code == 400 and "end" in str(bad.json())
    api.force_authenticate(staff["store_staff"])
    assert api.get("/api/v1/reports/engagement/").status_code == 403
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/reports/engagement/" in schema["paths"]
    assert "/api/v1/customers/{customer_id}/engagement/" in schema["paths"]
