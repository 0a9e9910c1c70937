"""HQ's reports (campaigns.reports): sales by day, channel and store in the shop's time zone
against the previous period, net of cancellations with refunds apart; pickup and fulfilment
times per store; campaign performance; the date range's validation; CSV exactly as the table;
who may see them; constant query counts."""

import csv
import io
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from campaigns import conversions, reports, results, tracking
from campaigns.reports import Period
from campaigns.views.reports import sales_rows_csv
from customers import consent
from orders import services
from orders.models import Payment, Register, RegisterSession, TenderKind
from orders.payments import TenderIn
from orders.returns import order_refund
from orders.services import FulfillmentIn, LineIn
from orders.till import TillLineIn, till_sale, till_sale_void
from tests.builders import CASH_AT_DESK, build_shop
from tests.campaigns.tracking_world import IPHONE, make_campaign, make_customer, make_recipient

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
SHIP_TO = {"name": "山田 太郎", "postal_code": "150-0001", "prefecture": "13", "city": "渋谷区",
           "line1": "神宮前1-2-3", "phone": "090-1111-2222"}
PERIOD = Period(date(2026, 11, 8), date(2026, 11, 14))  # the previous period: 11/1 to 11/7


@pytest.fixture
def shop(db):
    """The small shop with stock enough for a week of orders at both stores."""
    return build_shop(stock_a=20, stock_b=20)


def _tokyo(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


@contextmanager
def at(moment: datetime):
    """Run services as if it were ``moment`` (every timestamp they write is then)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _pickup(shop, when: datetime, *, store: str = "shibuya", quantity: int = 1):
    with at(when):
        return services.order_place(channel=shop.web, lines=[LineIn("LS-S", quantity)],
                                    fulfillment=FulfillmentIn("pickup", store))


def _delivery(shop, when: datetime):
    with at(when):
        return services.order_place(channel=shop.web, lines=[LineIn("LS-L", 1)],
                                    fulfillment=FulfillmentIn("ship", "wh-kanto", address=SHIP_TO),
                                    payment_method="cod")


def _till(shop, when: datetime):
    """A sale at store A's till: a POS order handed over at once, paid by card."""
    with at(when):
        order = services.order_place(channel=shop.pos_a, lines=[LineIn("LS-L", 1)],
                                     fulfillment=FulfillmentIn("pickup", "shibuya"))
        fulfilment = order.fulfillments.get()
        services.fulfillment_mark_ready(fulfillment=fulfilment)
        services.fulfillment_hand_over(fulfillment=order.fulfillments.get(), tenders=[TenderIn("card", order.total)])
    return order


def _sales_world(shop):
    """This period: a pickup at Shibuya at 00:30 on 11/8 (15:30 UTC on 11/7: Tokyo's day counts),
    a till sale at Shibuya refunded 1,000 yen on 11/10, a delivery, and a pickup at Umeda that was
    cancelled. The previous period: one pickup at Shibuya."""
    first = _pickup(shop, _tokyo(11, 8, 0, 30))
    till = _till(shop, _tokyo(11, 9, 12))
    with at(_tokyo(11, 10, 15)):
        order_refund(order=till, amount=1000, method="original", reason="お直し代", location=shop.store_a)
    delivery = _delivery(shop, _tokyo(11, 12, 9))
    cancelled = _pickup(shop, _tokyo(11, 13, 10), store="umeda", quantity=2)
    with at(_tokyo(11, 13, 18)):
        services.order_cancel(order=cancelled, reason="お客様都合")
    before = _pickup(shop, _tokyo(11, 3, 10))
    return first, till, delivery, cancelled, before


def test_sales_are_counted_per_tokyo_day_net_of_cancellations_with_refunds_apart(shop):
    first, till, delivery, cancelled, before = _sales_world(shop)
    report = reports.sales_report(period=PERIOD)
    total = report.total.current
    assert total.orders == 4 and total.cancelled_orders == 1
    assert total.gross == first.total + till.total + delivery.total + cancelled.total
    assert total.cancelled == cancelled.total
    assert total.net == first.total + till.total + delivery.total
    assert total.refunds == 1000  # apart: not taken off net sales
    assert report.total.previous.net == before.total
    assert report.total.net_change == pytest.approx((total.net - before.total) / before.total)
    days = {day.day: day for day in report.days}
    assert len(report.days) == 7 and days[date(2026, 11, 8)].current.net == first.total  # 00:30 Tokyo
    assert days[date(2026, 11, 8)].previous_day == date(2026, 11, 1)
    assert days[date(2026, 11, 10)].current.refunds == 1000 and days[date(2026, 11, 10)].current.orders == 0
    assert days[date(2026, 11, 9)].previous.net == 0 and days[date(2026, 11, 9)].net_change is None
    stores = {row.label: row for row in report.stores}
    assert stores["渋谷店"].current.net == first.total + till.total and stores["渋谷店"].previous.net == before.total
    assert stores["梅田店"].current.net == 0 and stores["梅田店"].current.cancelled == cancelled.total
    assert stores[str(reports.ONLINE_LABEL)].current.net == delivery.total
    channels = {row.key: row for row in report.channels}
    assert channels[str(shop.pos_a.pk)].current.net == till.total
    assert channels[str(shop.pos_a.pk)].current.refunds == 1000
    assert channels[str(shop.web.pk)].current.net == first.total + delivery.total


def test_a_voided_till_sale_is_cancelled_and_its_money_back_not_counted_again_as_a_refund(shop, staff):
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    session = RegisterSession.objects.create(register=register, opening_float=30000)
    with at(_tokyo(11, 9, 12)):
        sale = till_sale(register_session=session, idempotency_key="v", acting_user=staff["store_staff"],
                         lines=[TillLineIn("LS-S", 1)], tenders=[TenderIn(TenderKind.CASH, 10000)])
        till_sale_void(sale=sale.sale, reason="打ち間違い", acting_user=staff["store_staff"])
    assert Payment.objects.filter(order=sale.order, amount__lt=0).exists()
    total = reports.sales_report(period=PERIOD).total.current
    assert (total.orders, total.cancelled_orders, total.net, total.refunds) == (1, 1, 0, 0)
    assert total.cancelled == sale.order.total > 0


def test_the_sales_report_reads_in_four_queries_however_many_orders(shop, django_assert_num_queries):
    _pickup(shop, _tokyo(11, 9, 10))
    with django_assert_num_queries(4):
        reports.sales_report(period=PERIOD)
    _sales_world(shop)
    with django_assert_num_queries(4):
        reports.sales_report(period=PERIOD)


def test_pickup_and_fulfilment_times_per_store_median_and_p90(shop, django_assert_num_queries):
    for hours_to_ready, hours_to_collect in ((1, 24), (2, 48), (3, 72), (10, 2)):
        order = _pickup(shop, _tokyo(11, 9, 9))
        fulfilment = order.fulfillments.get()
        with at(_tokyo(11, 9, 9) + timedelta(hours=hours_to_ready)):
            services.fulfillment_mark_ready(fulfillment=fulfilment)
        with at(_tokyo(11, 9, 9) + timedelta(hours=hours_to_ready + hours_to_collect)):
            services.fulfillment_hand_over(fulfillment=order.fulfillments.get(), tenders=CASH_AT_DESK)
    uncollected = _pickup(shop, _tokyo(11, 10, 9), store="umeda")
    with at(_tokyo(11, 10, 11)):
        services.fulfillment_mark_ready(fulfillment=uncollected.fulfillments.get())
    with at(_tokyo(11, 18, 11)):
        services.order_cancel(order=uncollected, reason="未受取")
    delivery = _delivery(shop, _tokyo(11, 11, 9))
    with at(_tokyo(11, 12, 15)):
        services.fulfillment_ship(fulfillment=delivery.fulfillments.get())
    _pickup(shop, _tokyo(10, 1, 9))  # another period: not counted
    register = Register.objects.create(location=shop.store_a, code="1", name="レジ1")
    session = RegisterSession.objects.create(register=register, opening_float=30000)
    with at(_tokyo(11, 9, 12)):  # a sale at the till is handed over as sold: no pickup to time
        till_sale(register_session=session, idempotency_key="counter", acting_user=None,
                  lines=[TillLineIn("LS-S", 1)], tenders=[TenderIn(TenderKind.CASH, 10000)])
    with django_assert_num_queries(2):
        report = reports.fulfilment_report(period=PERIOD)
    stores = {store.label: store for store in report.stores}
    shibuya = stores["渋谷店"]
    assert (shibuya.to_ready.count, shibuya.to_ready.median) == (4, 2.5)
    assert shibuya.to_ready.p90 == pytest.approx(7.9)  # 3 + 0.7 × (10 − 3)
    assert (shibuya.to_collect.count, shibuya.to_collect.median) == (4, 36.0)
    assert stores["梅田店"].uncollected == 1 and stores["梅田店"].to_collect.count == 0
    assert stores["関東倉庫"].to_ship.median == 30.0
    assert report.total.to_ready.count == 5 and report.total.uncollected == 1
    chart = reports.fulfilment_chart(report)  # bars per store that had pickups, a table behind
    assert chart.rows == [("梅田店", 2.0, 0), ("渋谷店", 2.5, 36.0)]
    assert [bar.key for bar in chart.bars] == ["ready", "collected"] * 2 and chart.bars[1].height == 0
    html = render_to_string("campaigns/_chart.html", {"chart": chart})
    assert html.count("<rect") == 4 and "<polyline" not in html and "渋谷店: " in html
    assert not chart.totals and '<span class="num">' not in html  # a sum of medians means nothing


def _campaign_world():
    campaign = make_campaign("冬のセール", started_at=_tokyo(11, 9, 10))
    people = [make_customer(n) for n in range(4)]
    sent = [make_recipient(campaign, person, sent_at=_tokyo(11, 9, 10)) for person in people]
    tracking.recipient_open_record(recipient_id=sent[0].pk, user_agent=IPHONE)
    sent[0].refresh_from_db()
    tracking.recipient_click_record(recipient=sent[0], url="/sale/", user_agent=IPHONE)
    conversions.conversion_record_touch(customer_id=sent[0].customer_id, order_id=None, order_number="W1",
                                        revenue=5500, at=_tokyo(11, 9, 12))
    reference = tracking.unsubscribe_reference(campaign)
    consent.consent_grant(customer=sent[1].customer, channel="email", source="staff")
    consent.consent_unsubscribe(token=consent.consent_unsubscribe_token(customer=sent[1].customer,
                                                                        reference=reference))
    make_campaign("昔のセール", started_at=_tokyo(10, 1, 10))  # another period
    return campaign


def test_campaign_performance_has_every_figure_of_each_campaign_of_the_period(shop, django_assert_num_queries):
    campaign = _campaign_world()
    make_campaign("秋のセール", started_at=_tokyo(11, 12, 10))
    with django_assert_num_queries(4 + 5):  # the campaigns' four, the journeys' five (none here)
        report = reports.performance_report(period=PERIOD)
    assert [row.label for row in report.rows] == ["秋のセール", "冬のセール"]
    figures = report.rows[1].figures
    same = results.campaign_results(campaign).total  # the results page's rule, the same figures
    assert (figures.sent, figures.delivered, figures.opened, figures.clicked, figures.converted, figures.revenue,
            figures.unsubscribed) == (4, 4, 1, 1, 1, 5500, 1)
    assert (same.sent, same.opened, same.clicked, same.converted, same.revenue, same.unsubscribed) == (
        4, 1, 1, 1, 5500, 1)
    assert report.total.sent == 4 and report.rows[0].figures.sent == 0


def test_the_sales_chart_draws_the_previous_period_beside_this_one_with_a_table(shop):
    first, *_rest, before = _sales_world(shop)
    chart = reports.sales_chart(reports.sales_report(period=PERIOD))
    assert [s.key for s in chart.series] == ["sales", "previous"]
    assert chart.rows[0] == ("11/8", first.total, 0) and chart.rows[2][2] == before.total  # 11/3 beside 11/10
    html = render_to_string("campaigns/_chart.html", {"chart": chart})
    assert html.count("<polyline") == 2 and "chart-line-previous" in html and "<table" in html
    assert "style=" not in html


# --- the pages -----------------------------------------------------------------------------------------

REPORT_PAGES = ("console:report_sales", "console:report_fulfilment", "console:report_performance")


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_each_report_page_answers_hq_in_a_constant_number_of_queries(client, shop, staff, name,
                                                                       django_assert_num_queries):
    client.force_login(staff["hq_marketer"])
    url = reverse(name) + "?start=2026-11-08&end=2026-11-14"
    _pickup(shop, _tokyo(11, 9, 10))  # one of everything the page reads
    make_recipient(make_campaign("秋のセール", started_at=_tokyo(11, 12, 10)), make_customer(9))
    client.get(url)  # warm: what the console caches on the first request (the session's user, the brand)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _sales_world(shop)
    _campaign_world()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_store_staff_and_the_warehouse_are_not_let_in(client, shop, staff):
    for role in ("store_staff", "warehouse_operator"):
        client.force_login(staff[role])
        for name in REPORT_PAGES:
            assert client.get(reverse(name)).status_code == 403, (role, name)
    client.force_login(staff["administrator"])
    for name in REPORT_PAGES:
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-11-14&end=2026-11-08", "The end date is before the start date."),
    ("start=2024-01-01&end=2026-11-14", "at most two years"),
    ("start=2026-13-01&end=2026-11-14", "Enter a valid date."),
    ("start=&end=2026-11-14", "This field is required."),
])
def test_a_bad_date_range_is_refused_with_the_field_named(client, shop, staff, query, message):
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    for name in REPORT_PAGES:
        response = client.get(reverse(name) + "?" + query)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert "format=csv" not in response.content.decode()  # no export of a refused range
        assert client.get(reverse(name) + "?" + query + "&format=csv")["Content-Type"].startswith("text/html")


def test_the_default_range_is_the_last_28_days(client, shop, staff):
    client.force_login(staff["hq_marketer"])
    with at(_tokyo(11, 14, 23, 59)):
        response = client.get(reverse("console:report_sales"))
    assert response.context["report"].period == Period(date(2026, 10, 18), date(2026, 11, 14))


def test_the_csv_is_the_tables_data_in_utf8_with_a_bom(client, shop, staff):
    _sales_world(shop)
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    response = client.get(reverse("console:report_sales") + "?start=2026-11-08&end=2026-11-14&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sales-2026-11-08-2026-11-14.csv"' in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # Excel on Japanese Windows then reads UTF-8
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    with translation.override("en"):
        header, rows = sales_rows_csv(reports.sales_report(period=PERIOD))
    assert lines[0] == header and header[8] == "Net sales, previous period"
    assert len(lines) == 1 + len(rows) == 1 + 1 + 2 + 3 + 7  # total, 2 channels, 3 stores, 7 days
    shibuya = next(line for line in lines if line[:2] == ["Store", "渋谷店"])
    row = next(row for row in rows if row[:2] == ["Store", "渋谷店"])
    assert shibuya == [str(cell) if cell is not None else "" for cell in row]
    assert lines[1][:2] == ["Total", "All sales"] and lines[-1][:2] == ["Day", "2026-11-14"]
    for name in ("console:report_fulfilment", "console:report_performance"):
        response = client.get(reverse(name) + "?start=2026-11-08&end=2026-11-14&format=csv")
        assert response.content.startswith(b"\xef\xbb\xbf") and response.status_code == 200


def test_a_campaign_named_like_a_formula_is_written_as_text_in_the_csv(client, shop, staff):
    make_campaign("=HYPERLINK(\"x\")", started_at=_tokyo(11, 9, 10))
    client.force_login(staff["hq_marketer"])
    body = client.get(reverse("console:report_performance") + "?start=2026-11-08&end=2026-11-14&format=csv")
    assert "'=HYPERLINK" in body.content.decode("utf-8-sig")


def test_the_reports_are_in_the_console_navigation_for_hq_only(client, shop, staff):
    client.force_login(staff["hq_marketer"])
    html = client.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:report_sales") in html and reverse("console:report_performance") in html
    client.force_login(staff["store_staff"])
    html = client.get(reverse("console:dashboard")).content.decode()
    assert reverse("console:report_sales") not in html


# --- the API -----------------------------------------------------------------------------------------------

def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_gives_the_sales_report_as_the_page_counts_it(shop, staff):
    first, till, delivery, cancelled, before = _sales_world(shop)
    response = _api(staff["hq_marketer"]).get("/api/v1/reports/sales/", {"start": "2026-11-08", "end": "2026-11-14"})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"start": "2026-11-08", "end": "2026-11-14", "days": 7, "previous_start": "2026-11-01",
                              "previous_end": "2026-11-07"}
    assert body["total"]["current"]["net"] == first.total + till.total + delivery.total
    assert body["total"]["current"]["refunds"] == 1000 and body["total"]["previous"]["net"] == before.total
    assert len(body["days"]) == 7 and body["days"][0]["day"] == "2026-11-08"
    assert {row["label"] for row in body["stores"]} == {"渋谷店", "梅田店", str(reports.ONLINE_LABEL)}


def test_the_api_reports_refuse_a_bad_range_and_the_wrong_people(shop, staff):
    hq = _api(staff["hq_marketer"])
    for path in ("/api/v1/reports/sales/", "/api/v1/reports/fulfilment/", "/api/v1/reports/performance/"):
        response = hq.get(path, {"start": "2026-11-14", "end": "2026-11-08"})
        assert response.status_code == 400 and "end" in response.json()["errors"], path
        assert hq.get(path).status_code == 200  # the last 28 days
        assert _api(staff["store_staff"]).get(path).status_code == 403
        assert APIClient().get(path).status_code in (401, 403)


def test_the_api_gives_fulfilment_times_and_campaign_performance(shop, staff):
    _campaign_world()
    order = _pickup(shop, _tokyo(11, 9, 9))
    with at(_tokyo(11, 9, 11)):
        services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    hq = _api(staff["hq_marketer"])
    times = hq.get("/api/v1/reports/fulfilment/", {"start": "2026-11-08", "end": "2026-11-14"}).json()
    assert times["stores"][0]["label"] == "渋谷店" and times["stores"][0]["to_ready"] == {
        "count": 1, "median": 2.0, "p90": 2.0}
    performance = hq.get("/api/v1/reports/performance/", {"start": "2026-11-08", "end": "2026-11-14"}).json()
    assert [(row["kind"], row["label"]) for row in performance["rows"]] == [("campaign", "冬のセール")]
    assert performance["total"]["revenue"] == 5500 and performance["rows"][0]["figures"]["unsubscribed"] == 1


def test_the_reports_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/reports/sales/", "/api/v1/reports/fulfilment/", "/api/v1/reports/performance/"):
        get = schema["paths"][path]["get"]
        assert {"200", "400", "403"} <= set(get["responses"]) and {p["name"] for p in get["parameters"]} >= {
            "start", "end"}
    assert "net" in schema["components"]["schemas"]["SalesFigures"]["properties"]


def test_the_day_is_cut_in_sql_with_a_fixed_offset_only_where_the_zone_has_no_summer_time():
    since, until = _tokyo(1, 1, 0), _tokyo(12, 31, 0)
    assert reports._fixed_offset(TOKYO, since, until) == 9 * 3600
    new_york = ZoneInfo("America/New_York")  # summer time: Django's TruncDate, per row
    assert reports._fixed_offset(new_york, since.astimezone(new_york), until.astimezone(new_york)) is None
