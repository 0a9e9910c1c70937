"""HQ's reports: sales by day, channel and store against the previous period; pickup and
fulfilment times per store; campaign performance. Each is read in a fixed number of grouped
queries (GROUP BY day / channel / location in SQL, days cut in the shop's time zone,
settings.TIME_ZONE = Asia/Tokyo, by ``TruncDate(..., tzinfo=)``, which Django writes for SQLite
and PostgreSQL alike), and drawn with the one chart engine (campaigns.results.line_chart) with
the same figures as a table behind the chart and as CSV.

Here, in the top domain, because the reports read orders, customers' consent and campaigns
(the import contracts allow campaigns → orders → customers, not the other way).

The money rule of the sales report (say it the same way on the page, in the CSV and the API):
- **Orders**: every order placed in the period (its ``created_at``), whatever happened to it since.
- **Gross sales**: their totals (tax included, after discounts, with shipping).
- **Cancelled**: the totals of those of them cancelled since (voided till sales are cancelled).
- **Net sales** = gross − cancelled: the sales counted for the day the order was placed.
- **Refunds** are shown apart and not subtracted: the money given back (negative ``Payment``
  rows: returns, partial refunds) on orders not cancelled, counted on the day of the refund and
  for the order's channel and store. A cancelled order's money back is its cancellation, already
  out of net sales, so it is not counted twice.

The store of an order: the store whose till sold it (its channel's location), else the store it
is picked up at; a delivery from an online channel has no store ("Online").

Journeys (issue 11) are not built yet: ``PERFORMANCE_SOURCES`` is where their figures join the
campaigns' in the performance report, as another source of rows of the same ``Figures``.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BigIntegerField, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from customers.engagement import (
    ALL,
    MESSAGE_CHANNELS,
    MESSAGE_TYPES,
    Engagement,
    MessageType,
    SegmentEngagement,
    segment_engagement,
    segment_event_condition,
)
from customers.models import ConsentRecord, ConsentSource, Segment
from customers.segments import segment_condition
from kernel.models import Channel, Location
from orders.models import Fulfillment, FulfillmentMethod, FulfillmentStatus, Order, OrderStatus, Payment

from .models import Campaign, CampaignRecipient, RecipientStatus
from .models_tracking import CampaignConversion
from .results import Chart, Figures, line_chart
from .tracking import subject_for

MAX_RANGE_DAYS = 731  # two years (one of them a leap year)


def shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive, in the shop's time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start of the first day, start of the day after the last) as aware datetimes."""
        zone = shop_zone()
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


class LocalDate(TruncDate):
    """``TruncDate(column, tzinfo=zone)``: the day in the shop's zone, cut in SQL. On SQLite,
    Django's TruncDate calls back into Python for every row (about 12 µs: most of a year's sales
    report); when the zone's offset is the same over the whole range (Asia/Tokyo has had no
    summer time since 1951), SQLite's own ``date(column, '+32400 seconds')`` gives the same day.
    PostgreSQL, and a zone with summer time, keep Django's TruncDate."""

    def __init__(self, expression, *, tzinfo, since: datetime, until: datetime, **extra):
        super().__init__(expression, tzinfo=tzinfo, **extra)
        self.fixed_offset = _fixed_offset(tzinfo, since, until)

    def as_sqlite(self, compiler, connection, **extra_context):
        if self.fixed_offset is None:
            return super().as_sqlite(compiler, connection, **extra_context)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, %s)", (*params, f"{self.fixed_offset:+d} seconds")


def _fixed_offset(zone, since: datetime, until: datetime) -> int | None:
    """The zone's offset from UTC in seconds when it is the same at both ends of the range and at
    every 1 January and 1 July between (no summer time in it); None otherwise."""
    moments = [since, until] + [datetime(year, month, 1, tzinfo=zone)
                                for year in range(since.year, until.year + 1) for month in (1, 7)]
    offsets = {moment.astimezone(zone).utcoffset() for moment in moments}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def change(current: int | float | None, previous: int | float | None) -> float | None:
    """The change from ``previous`` to ``current`` as a fraction (0.25: +25 %); None without a base."""
    if current is None or not previous:
        return None
    return (current - previous) / previous


def _day(value) -> date:
    """A TruncDate value (a date; SQLite may give a string)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- sales ------------------------------------------------------------------------------------------

@dataclass
class SalesFigures:
    orders: int = 0
    gross: int = 0
    cancelled_orders: int = 0
    cancelled: int = 0
    refunds: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.cancelled

    @property
    def net_orders(self) -> int:
        return self.orders - self.cancelled_orders

    @property
    def average(self) -> int | None:
        """Net sales per order not cancelled (yen, rounded)."""
        return round(self.net / self.net_orders) if self.net_orders else None

    def add(self, other: "SalesFigures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SalesRow:
    """One line of a breakdown (a channel or a store): this period against the previous one."""

    key: str
    label: str
    current: SalesFigures = field(default_factory=SalesFigures)
    previous: SalesFigures = field(default_factory=SalesFigures)

    @property
    def net_change(self) -> float | None:
        return change(self.current.net, self.previous.net)

    @property
    def orders_change(self) -> float | None:
        return change(self.current.net_orders, self.previous.net_orders)


@dataclass
class SalesDay:
    day: date
    previous_day: date
    current: SalesFigures
    previous: SalesFigures

    @property
    def net_change(self) -> float | None:
        return change(self.current.net, self.previous.net)


@dataclass
class SalesReport:
    period: Period
    total: SalesRow
    days: list[SalesDay]
    channels: list[SalesRow]
    stores: list[SalesRow]


ONLINE = "online"


def sales_report(*, period: Period, locations=None) -> SalesReport:
    """Sales of ``period`` and of the period before, per day, channel and store, in four queries
    (orders and refunds grouped by day, channel and store; the channels' and stores' names).
    ``locations``: only orders of those stores (None: all, online included)."""
    previous = period.previous
    since, _until = previous.bounds()
    _since, until = period.bounds()
    zone = shop_zone()
    pickup_store = Subquery(Fulfillment.objects.filter(order=OuterRef("pk"), method=FulfillmentMethod.PICKUP)
                            .order_by("id").values("location_id")[:1])
    orders = (Order.objects.filter(created_at__gte=since, created_at__lt=until)
              .annotate(day=LocalDate("created_at", tzinfo=zone, since=since, until=until), store=Coalesce("channel__location_id", pickup_store, output_field=BigIntegerField())))
    refund_store = Subquery(Fulfillment.objects.filter(order=OuterRef("order_id"), method=FulfillmentMethod.PICKUP)
                            .order_by("id").values("location_id")[:1])
    refunds = (Payment.objects.filter(amount__lt=0, created_at__gte=since, created_at__lt=until)
               .exclude(order__status=OrderStatus.CANCELLED)
               .annotate(day=LocalDate("created_at", tzinfo=zone, since=since, until=until),
                         channel_id=F("order__channel_id"),
                         store=Coalesce("order__channel__location_id", refund_store,
                                        output_field=BigIntegerField())))
    if locations is not None:
        orders = orders.filter(store__in=locations)
        refunds = refunds.filter(store__in=locations)
    cancelled = Q(status=OrderStatus.CANCELLED)
    order_rows = (orders.values("day", "channel_id", "store").order_by("day", "channel_id", "store")
                  .annotate(orders=Count("id"), gross=Sum("total"), cancelled_orders=Count("id", filter=cancelled),
                            cancelled=Sum("total", filter=cancelled)))
    refund_rows = (refunds.values("day", "channel_id", "store").order_by("day", "channel_id", "store")
                   .annotate(amount=Sum("amount")))

    by_day: dict[date, SalesFigures] = {}
    channels: dict[int, SalesRow] = {}
    stores: dict[str, SalesRow] = {}
    total = SalesRow(key="total", label=_("All sales"))
    # Up to days × channels × stores rows: each is added to its day, channel, store and the total
    # with plain arithmetic (no object per row), the day's period looked up once per day.
    periods: dict[object, str | None] = {}

    def targets(day_value, channel_id, store) -> list[SalesFigures]:
        which = periods.get(day_value, "?")
        if which == "?":
            day = _day(day_value)
            which = ("current" if period.start <= day <= period.end
                     else "previous" if previous.start <= day <= previous.end else None)
            periods[day_value] = which
            if which is not None:
                by_day.setdefault(day, SalesFigures())
        if which is None:
            return []
        channel = channels.get(channel_id)
        if channel is None:
            channel = channels[channel_id] = SalesRow(key=str(channel_id), label="")
        store_key = str(store) if store is not None else ONLINE
        location = stores.get(store_key)
        if location is None:
            location = stores[store_key] = SalesRow(key=store_key, label="")
        return [by_day[_day(day_value)], getattr(channel, which), getattr(location, which), getattr(total, which)]

    for day_value, channel_id, store, count, gross, cancelled_count, cancelled_sum in order_rows.values_list(
            "day", "channel_id", "store", "orders", "gross", "cancelled_orders", "cancelled"):
        for figures in targets(day_value, channel_id, store):
            figures.orders += count
            figures.gross += gross or 0
            figures.cancelled_orders += cancelled_count
            figures.cancelled += cancelled_sum or 0
    for day_value, channel_id, store, amount in refund_rows.values_list("day", "channel_id", "store", "amount"):
        for figures in targets(day_value, channel_id, store):
            figures.refunds += -(amount or 0)

    channel_names = dict(Channel.objects.filter(pk__in=list(channels)).values_list("pk", "name"))
    store_names = {str(pk): name for pk, name in Location.objects.filter(
        pk__in=[int(key) for key in stores if key != ONLINE]).values_list("pk", "name")}
    for pk, row in channels.items():
        row.label = channel_names.get(pk, str(pk))
    for key, row in stores.items():
        row.label = store_names.get(key, key) if key != ONLINE else str(ONLINE_LABEL)

    def ranked(rows) -> list[SalesRow]:
        return sorted(rows, key=lambda row: (-row.current.net, -row.previous.net, row.label))

    days = [SalesDay(day=day, previous_day=previous_day, current=by_day.get(day, SalesFigures()),
                     previous=by_day.get(previous_day, SalesFigures()))
            for day, previous_day in zip(period.dates(), previous.dates(), strict=True)]
    return SalesReport(period=period, total=total, days=days, channels=ranked(channels.values()),
                       stores=ranked(stores.values()))


ONLINE_LABEL = pgettext_lazy("sales report store", "Online (delivered)")


def sales_chart(report: SalesReport) -> Chart:
    """Net sales per day, with the previous period's day at the same position as a second line."""
    labels = [date_format(day.day, "n/j") for day in report.days]
    return line_chart(labels, [
        ("sales", pgettext_lazy("sales report", "Net sales"), [day.current.net for day in report.days]),
        ("previous", pgettext_lazy("sales report", "Previous period"), [day.previous.net for day in report.days]),
    ], title=_("Net sales per day (yen), this period and the previous one"),
        axis_label=pgettext_lazy("chart axis", "Day"), empty_text=_("No days in this period."))


# --- pickup and fulfilment times ----------------------------------------------------------------------

@dataclass(frozen=True)
class Durations:
    """How long something took, over ``count`` cases (hours)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: list[float]) -> "Durations":
        if not hours:
            return cls(0, None, None)
        ordered = sorted(hours)
        p90 = ordered[0] if len(ordered) == 1 else statistics.quantiles(ordered, n=10, method="inclusive")[8]
        return cls(len(ordered), round(statistics.median(ordered), 1), round(p90, 1))


@dataclass(frozen=True)
class StoreTimes:
    key: str
    label: str
    to_ready: Durations  # a pickup placed → marked ready
    to_collect: Durations  # ready → collected
    to_ship: Durations  # a delivery placed → shipped
    uncollected: int  # pickups ready, then cancelled (not collected in time)


@dataclass
class FulfilmentReport:
    period: Period
    stores: list[StoreTimes]
    total: StoreTimes


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def fulfilment_report(*, period: Period, locations=None) -> FulfilmentReport:
    """Per store, for orders placed in ``period``: hours from placed to ready for pickup, from
    ready to collected, from placed to shipped (median and 90th percentile), and how many ready
    pickups were never collected. Two queries (the fulfilments' timestamps, the stores' names):
    percentiles are taken in Python over one row per fulfilment, the same on SQLite and
    PostgreSQL."""
    since, until = period.bounds()
    # a sale at the till is handed over as it is sold (ready and collected at one instant): no pickup
    fulfilments = Fulfillment.objects.filter(order__created_at__gte=since, order__created_at__lt=until).exclude(
        status=FulfillmentStatus.COLLECTED, ready_at=F("closed_at"))
    if locations is not None:
        fulfilments = fulfilments.filter(location__in=locations)
    rows = fulfilments.values_list("location_id", "method", "status", "order__created_at", "ready_at", "closed_at")
    per_store: dict[int, dict[str, list[float]]] = {}
    uncollected: dict[int, int] = {}
    for location_id, method, status, placed_at, ready_at, closed_at in rows.iterator(chunk_size=5000):
        lists = per_store.setdefault(location_id, {"ready": [], "collect": [], "ship": []})
        if method == FulfillmentMethod.PICKUP:
            hours = _hours(placed_at, ready_at)
            if hours is not None:
                lists["ready"].append(hours)
            if status == FulfillmentStatus.COLLECTED:
                hours = _hours(ready_at, closed_at)
                if hours is not None:
                    lists["collect"].append(hours)
            elif status == FulfillmentStatus.CANCELLED and ready_at is not None:
                uncollected[location_id] = uncollected.get(location_id, 0) + 1
        elif method == FulfillmentMethod.SHIP and status == FulfillmentStatus.SHIPPED:
            hours = _hours(placed_at, closed_at)
            if hours is not None:
                lists["ship"].append(hours)
    names = dict(Location.objects.filter(pk__in=list(per_store)).values_list("pk", "name"))
    stores = sorted((StoreTimes(key=str(pk), label=names.get(pk, str(pk)), to_ready=Durations.of(lists["ready"]),
                                to_collect=Durations.of(lists["collect"]), to_ship=Durations.of(lists["ship"]),
                                uncollected=uncollected.get(pk, 0))
                     for pk, lists in per_store.items()), key=lambda store: store.label)
    everything = {name: [hours for lists in per_store.values() for hours in lists[name]]
                  for name in ("ready", "collect", "ship")}
    total = StoreTimes(key="total", label=_("All stores"), to_ready=Durations.of(everything["ready"]),
                       to_collect=Durations.of(everything["collect"]), to_ship=Durations.of(everything["ship"]),
                       uncollected=sum(uncollected.values()))
    return FulfilmentReport(period=period, stores=stores, total=total)


def fulfilment_chart(report: FulfilmentReport) -> Chart:
    """Per store, bars of the median hours from placed to ready and from ready to collected."""
    stores = [store for store in report.stores if store.to_ready.count or store.to_collect.count]
    return line_chart([store.label for store in stores], [
        ("ready", pgettext_lazy("fulfilment report", "Placed → ready (median h)"),
         [store.to_ready.median or 0 for store in stores]),
        ("collected", pgettext_lazy("fulfilment report", "Ready → collected (median h)"),
         [store.to_collect.median or 0 for store in stores]),
    ], tick_labels=[_short(store.label) for store in stores],
        title=_("Median hours to ready and to collected, per store"), axis_label=_("Store"),
        empty_text=_("No pickups for orders placed in this period."), bucket="store", bars=True,
        totals=False)


def _short(label: str, length: int = 8) -> str:
    """An axis label that fits under a bar: at most ``length`` characters, "…" after."""
    return label if len(label) <= length else label[:length - 1] + "…"


# --- campaign (and, later, journey) performance ---------------------------------------------------------

@dataclass
class PerformanceRow:
    kind: str  # "campaign" (a journey's rows will say "journey")
    key: str
    label: str
    url: str
    started_at: datetime | None
    figures: Figures

    @property
    def kind_label(self) -> str:
        return str(PERFORMANCE_KINDS[self.kind])


def campaign_performance(*, period: Period) -> list[PerformanceRow]:
    """Every campaign started in ``period``, its sent, delivered, opened, clicked, converted,
    revenue and unsubscribed (the rules of campaigns.results), in four queries however many
    campaigns: the campaigns, recipients grouped by campaign, conversions grouped by campaign,
    unsubscribes grouped by the campaign their link carried."""
    since, until = period.bounds()
    campaigns = list(Campaign.objects.filter(started_at__gte=since, started_at__lt=until, journey_step__isnull=True)
                     .order_by("-started_at", "-id").only("pk", "name", "started_at"))
    ids = [campaign.pk for campaign in campaigns]
    figures = {pk: Figures() for pk in ids}
    for row in (CampaignRecipient.objects.filter(campaign_id__in=ids).values("campaign_id").order_by("campaign_id")
                .annotate(recipients=Count("id"),
                          sent=Count("id", filter=Q(status=RecipientStatus.SENT)),
                          delivered=Count("id", filter=Q(status=RecipientStatus.SENT, bounced_at__isnull=True)),
                          bounced=Count("id", filter=Q(bounced_at__isnull=False)),
                          opened=Count("id", filter=Q(opened_at__isnull=False)),
                          clicked=Count("id", filter=Q(clicked_at__isnull=False)))):
        target = figures[row.pop("campaign_id")]
        for name, value in row.items():
            setattr(target, name, value)
    for row in (CampaignConversion.objects.filter(campaign_id__in=ids).values("campaign_id").order_by("campaign_id")
                .annotate(count=Count("id"), revenue=Sum("revenue"))):
        figures[row["campaign_id"]].converted = row["count"]
        figures[row["campaign_id"]].revenue = row["revenue"] or 0
    references = {subject_for(pk): pk for pk in ids}
    for row in (ConsentRecord.objects.filter(source=ConsentSource.UNSUBSCRIBE, granted=False,
                                             source_detail__in=list(references))
                .values("source_detail").order_by("source_detail")
                .annotate(count=Count("customer", distinct=True))):
        figures[references[row["source_detail"]]].unsubscribed = row["count"]
    return [PerformanceRow(kind="campaign", key=str(campaign.pk), label=campaign.name,
                           url=campaign.get_absolute_url(), started_at=campaign.started_at,
                           figures=figures[campaign.pk]) for campaign in campaigns]


def journey_performance(*, period: Period) -> list[PerformanceRow]:
    """Every journey that ran in ``period`` (activated before it ended, not archived before it
    began), with the figures of its messages sent in the period (its send steps' automated
    campaigns): a journey never finishes, so its row is what it did in those days. Four queries
    however many journeys: the journeys, recipients grouped by journey, conversions grouped by
    journey, the steps' campaigns, unsubscribes grouped by the campaign their link carried."""
    from .models_journeys import Journey, JourneyStatus, JourneyStep

    since, until = period.bounds()
    ran = Journey.objects.filter(activated_at__lt=until).exclude(status=JourneyStatus.ARCHIVED, updated_at__lt=since)
    journeys = list(ran.order_by("name", "pk").only("pk", "name", "activated_at"))
    ids = ran.values("pk")  # a subquery: the same statements whether there are journeys or not
    figures = {journey.pk: Figures() for journey in journeys}
    in_period = Q(sent_at__gte=since, sent_at__lt=until)
    for row in (CampaignRecipient.objects.filter(campaign__journey_step__journey_id__in=ids).filter(in_period)
                .values("campaign__journey_step__journey_id").order_by("campaign__journey_step__journey_id")
                .annotate(recipients=Count("id", filter=in_period),
                          sent=Count("id", filter=in_period & Q(status=RecipientStatus.SENT)),
                          delivered=Count("id", filter=in_period & Q(status=RecipientStatus.SENT,
                                                                     bounced_at__isnull=True)),
                          bounced=Count("id", filter=in_period & Q(bounced_at__isnull=False)),
                          opened=Count("id", filter=in_period & Q(opened_at__isnull=False)),
                          clicked=Count("id", filter=in_period & Q(clicked_at__isnull=False)))):
        target = figures.get(row.pop("campaign__journey_step__journey_id"))
        for name, value in row.items():
            if target is not None:
                setattr(target, name, value)
    for row in (CampaignConversion.objects.filter(campaign__journey_step__journey_id__in=ids,
                                                  occurred_at__gte=since, occurred_at__lt=until)
                .values("campaign__journey_step__journey_id").order_by("campaign__journey_step__journey_id")
                .annotate(count=Count("id"), revenue=Sum("revenue"))):
        if row["campaign__journey_step__journey_id"] in figures:
            target = figures[row["campaign__journey_step__journey_id"]]
            target.converted, target.revenue = row["count"], row["revenue"] or 0
    step_journey = dict(JourneyStep.objects.filter(journey_id__in=ids, campaign__isnull=False)
                        .values_list("campaign_id", "journey_id"))
    references = {subject_for(campaign_id): journey_id for campaign_id, journey_id in step_journey.items()}
    for row in (ConsentRecord.objects.filter(source=ConsentSource.UNSUBSCRIBE, granted=False,
                                             source_detail__startswith="campaign:",
                                             created_at__gte=since, created_at__lt=until)
                .values("source_detail").order_by("source_detail")
                .annotate(count=Count("customer", distinct=True))):
        if references.get(row["source_detail"]) in figures:
            figures[references[row["source_detail"]]].unsubscribed += row["count"]
    return [PerformanceRow(kind="journey", key=f"journey-{journey.pk}", label=journey.name,
                           url=journey.get_absolute_url(), started_at=journey.activated_at,
                           figures=figures[journey.pk]) for journey in journeys]


# Where the performance report's rows come from: the campaigns started in the period, and the
# journeys that ran in it (their messages of the period).
PERFORMANCE_SOURCES = (campaign_performance, journey_performance)
PERFORMANCE_KINDS = {"campaign": gettext_lazy("Campaign"), "journey": gettext_lazy("Journey")}


@dataclass
class PerformanceReport:
    period: Period
    rows: list[PerformanceRow]
    total: Figures


def performance_report(*, period: Period) -> PerformanceReport:
    rows = [row for source in PERFORMANCE_SOURCES for row in source(period=period)]
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return PerformanceReport(period=period, rows=rows, total=total)


def performance_chart(report: PerformanceReport) -> Chart:
    """Per campaign (oldest first), bars of delivered, opened, clicked and converted."""
    rows = list(reversed(report.rows))
    labels = [row.label for row in rows]
    ticks = [_short(label, 10) for label in labels]
    return line_chart(labels, [
        (name, label, [getattr(row.figures, name) for row in rows])
        for name, label in (("delivered", pgettext_lazy("campaign figure", "Delivered")),
                            ("opened", pgettext_lazy("campaign figure", "Opened")),
                            ("clicked", pgettext_lazy("campaign figure", "Clicked")),
                            ("converted", pgettext_lazy("campaign figure", "Converted")))
    ], tick_labels=ticks, title=_("Delivered, opened, clicked and converted per campaign"),
        axis_label=_("Campaign"), empty_text=_("No campaign started in this period."), bucket="campaign",
        bars=True)


# --- engagement by segment and message type (issue 11, "group insight") ------------------------------

@dataclass
class EngagementCell:
    """One (segment, message type, channel) of the engagement report."""

    message_type: str
    channel: str
    figures: Engagement

    @property
    def type_label(self) -> str:
        return str(MESSAGE_TYPES.get(self.message_type, self.message_type))

    @property
    def channel_label(self) -> str:
        return str(MESSAGE_CHANNELS.get(self.channel, self.channel or "—"))


@dataclass
class EngagementSegment:
    key: str  # the segment's id, or "all"
    label: str
    total: Engagement
    types: list[EngagementCell]  # per message type, every channel (always campaign, journey, transactional)
    cells: list[EngagementCell]  # per (type, channel) with anything in it


@dataclass
class EngagementReport:
    period: Period
    segments: list[EngagementSegment]

    @property
    def everyone(self) -> EngagementSegment:
        return self.segments[0]


def engagement_report(*, period: Period) -> EngagementReport:
    """Messages sent in ``period`` (and opened, clicked) and the orders credited to them, for every
    customer and per segment, by message type (campaign, journey, transactional) and channel, with
    the rates: three queries whatever the range and the number of segments (the segments; the
    messages of every segment at once, customers.engagement.segment_engagement; the campaigns'
    conversions of every segment at once). A dynamic segment's members are who its rules select
    now; a static list's, its stored members (customers.segments.segment_condition)."""
    since, until = period.bounds()
    segments = list(Segment.objects.order_by("name").only("pk", "name", "kind", "rules"))
    groups = [(ALL, str(_("All customers")), None)] + [
        (str(segment.pk), segment.name, segment_event_condition(segment_condition(segment))) for segment in segments]
    measured = segment_engagement(since=since, until=until, groups=groups)
    _add_conversions(measured, groups, since, until)
    return EngagementReport(period=period, segments=[_engagement_segment(group) for group in measured])


def _add_conversions(measured: list[SegmentEngagement], groups, since: datetime, until: datetime) -> None:
    """The orders campaigns earned in the period (campaigns.conversions), per channel, counted into
    each group's campaign cells: one query (a conditional count per group)."""
    counts = {f"g{index}": Count("id", filter=condition) if condition is not None else Count("id")
              for index, (_key, _label, condition) in enumerate(groups)}
    for row in (CampaignConversion.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
                .values("channel").order_by("channel").annotate(**counts)):
        for index, group in enumerate(measured):
            if row[f"g{index}"]:
                cell = group.cells.setdefault((MessageType.CAMPAIGN, row["channel"]), Engagement())
                cell.converted += row[f"g{index}"]


def _engagement_segment(group: SegmentEngagement) -> EngagementSegment:
    channels = list(MESSAGE_CHANNELS)
    ordered = sorted(group.cells.items(), key=lambda item: (
        list(MESSAGE_TYPES).index(item[0][0]) if item[0][0] in MESSAGE_TYPES else len(MESSAGE_TYPES),
        channels.index(item[0][1]) if item[0][1] in channels else len(channels), item[0][1]))
    return EngagementSegment(
        key=group.key, label=group.label, total=group.total(),
        types=[EngagementCell(kind, "", group.total(message_type=kind)) for kind in MESSAGE_TYPES],
        cells=[EngagementCell(kind, channel, figures) for (kind, channel), figures in ordered])


def _percent(rate: float | None) -> int:
    return round((rate or 0) * 100)


def engagement_chart(report: EngagementReport) -> Chart:
    """Per segment (everyone first), bars of the open, click and conversion rates (in percent)."""
    segments = report.segments if not report.everyone.total.empty else []
    labels = [segment.label for segment in segments]
    return line_chart(labels, [
        ("opened", _("Open rate (%)"), [_percent(segment.total.open_rate) for segment in segments]),
        ("clicked", _("Click rate (%)"), [_percent(segment.total.click_rate) for segment in segments]),
        ("converted", _("Conversion rate (%)"), [_percent(segment.total.conversion_rate) for segment in segments]),
    ], tick_labels=[_short(label, 10) for label in labels],
        title=_("Open, click and conversion rates per segment (%)"), axis_label=_("Segment"),
        empty_text=_("No message was sent in this period."), bucket="segment", bars=True, totals=False)
