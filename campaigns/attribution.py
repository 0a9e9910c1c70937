"""Multi-touch attribution: which touchpoints earned the orders, by six models side by side.

**Touches** are customer events (the stream every touchpoint lands in, online or offline alike):

========================  ===========================================  ===========================
event kind                when it is a touch                           channel
========================  ===========================================  ===========================
email sent/opened/click   it carries a campaign (``data.campaign``);   ``data.channel`` of the
SMS sent/clicked, LINE    opens by a machine (``data.machine``) never  campaign's message: email,
clicked, on-site clicked  count                                        sms, line, onsite
QR code scanned           a campaign's postcard, POP or social QR      dm, pop, social
coupon redeemed           always (a campaign's code or a shared one)   code
store visit               always (recorded by staff)                   store
page viewed               it carries UTM parameters from outside the   ads
                          shop (``utm_source`` not ``omnishop``)
========================  ===========================================  ===========================

A touch's **campaign** is the Omnishop campaign it belongs to (``c<id>``) or, for a visit from an
ad, its ``utm_campaign`` (``u<name>``); store visits and shared codes have none ("").

**Paths.** Each order placed in the date range (not cancelled, in yen, by a known customer) gets
the customer's touches in the ``window`` days before it (up to the order's time) in time order.
An order with no touch is counted as *no touch* by every model. For the data-driven model the
customers with touches in the range and no order in it make the paths that did not convert.

**Models** (credit per order sums to 1, revenue follows the same shares):
first touch, last touch, linear (equal shares), time decay (weight ``2 ** (-age / half_life)``,
age in days before the order), position based (40 % first, 40 % last, 20 % shared by the middle;
one touch takes all, two share half each) and data driven: a first-order Markov chain over the
channels (or campaigns) built from the aggregated path counts; a channel's removal effect is the
share of conversion probability lost when it is removed, and the converted orders and their
revenue are shared out in proportion to the removal effects.

Reading costs two streamed queries (orders, touches) plus one for campaign names and one for the
channel costs, whatever the range: the page's query count is constant.
"""

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import CustomerEvent, EventKind
from kernel.audit import audit_record
from orders.models import Order, OrderStatus

from .errors import CampaignInvalid
from .models import Campaign
from .models_attribution import AttributionChannel, ChannelCost

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position", "markov")
MODEL_LABELS = {
    "first_touch": pgettext_lazy("attribution model", "First touch"),
    "last_touch": pgettext_lazy("attribution model", "Last touch"),
    "linear": pgettext_lazy("attribution model", "Linear"),
    "time_decay": pgettext_lazy("attribution model", "Time decay"),
    "position": pgettext_lazy("attribution model", "Position based (40/20/40)"),
    "markov": pgettext_lazy("attribution model", "Data driven (Markov)"),
}
NO_TOUCH = "none"  # the row of orders no touch reached
DEFAULT_WINDOW_DAYS = 30
DEFAULT_HALF_LIFE_DAYS = 7.0
MAX_WINDOW_DAYS = 365
MAX_RANGE_DAYS = 732

# campaign messages' channels (data.channel) as attribution channels
MESSAGE_CHANNELS = {"email": AttributionChannel.EMAIL, "sms": AttributionChannel.SMS,
                    "line": AttributionChannel.LINE, "onsite": AttributionChannel.ONSITE,
                    "postcard": AttributionChannel.DM, "pop": AttributionChannel.POP,
                    "social": AttributionChannel.SOCIAL}
CAMPAIGN_KINDS = (EventKind.EMAIL_SENT, EventKind.EMAIL_OPENED, EventKind.EMAIL_CLICKED, EventKind.SMS_SENT,
                  EventKind.SMS_CLICKED, EventKind.LINE_CLICKED, EventKind.ONSITE_CLICKED, EventKind.QR_SCANNED)
KIND_CHANNELS = {EventKind.EMAIL_SENT: "email", EventKind.EMAIL_OPENED: "email", EventKind.EMAIL_CLICKED: "email",
                 EventKind.SMS_SENT: "sms", EventKind.SMS_CLICKED: "sms", EventKind.LINE_CLICKED: "line",
                 EventKind.ONSITE_CLICKED: "onsite", EventKind.QR_SCANNED: "postcard"}
OWN_UTM_SOURCE = "omnishop"  # the shop's own tracked links: counted as the campaign's click already


@dataclass(frozen=True)
class Touch:
    at: datetime
    channel: str
    campaign: str  # "c<id>", "u<utm_campaign>" or ""


@dataclass(frozen=True)
class Conversion:
    at: datetime
    revenue: int
    touches: tuple[Touch, ...]


@dataclass
class Params:
    start: date
    end: date  # inclusive
    window_days: int = DEFAULT_WINDOW_DAYS
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS


def params_validate(*, start, end, window_days=DEFAULT_WINDOW_DAYS, half_life_days=DEFAULT_HALF_LIFE_DAYS,
                    model: str = "") -> Params:
    """The report's inputs checked; CampaignInvalid names every bad field."""
    errors: dict[str, list] = {}
    try:
        window = int(window_days)
        if window <= 0 or window > MAX_WINDOW_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        errors["window_days"] = [_("Enter a whole number of days from 1 to %(max)d.") % {"max": MAX_WINDOW_DAYS}]
        window = 0
    try:
        half_life = float(half_life_days)
        if not half_life > 0 or half_life > 3650:
            raise ValueError
    except (TypeError, ValueError):
        errors["half_life_days"] = [_("Enter a half-life greater than 0 days.")]
        half_life = 0.0
    if not isinstance(start, date) or not isinstance(end, date):
        errors["start"] = [_("Enter the range as two dates (YYYY-MM-DD).")]
    elif end < start:
        errors["end"] = [_("The end date is before the start date.")]
    elif (end - start).days > MAX_RANGE_DAYS:
        errors["end"] = [_("Choose a range of at most two years.")]
    if model and model not in MODELS:
        errors["model"] = [_("Unknown model: choose one of %(models)s.") % {"models": ", ".join(MODELS)}]
    if errors:
        raise CampaignInvalid(errors)
    return Params(start=start, end=end, window_days=window, half_life_days=half_life)


# --- the models, each over the same paths: a list of (touches, credit) per conversion -----------------

def first_touch(touches) -> list[float]:
    return [1.0] + [0.0] * (len(touches) - 1)


def last_touch(touches) -> list[float]:
    return [0.0] * (len(touches) - 1) + [1.0]


def linear(touches) -> list[float]:
    return [1.0 / len(touches)] * len(touches)


def position_based(touches) -> list[float]:
    n = len(touches)
    if n == 1:
        return [1.0]
    if n == 2:
        return [0.5, 0.5]
    middle = 0.2 / (n - 2)
    return [0.4] + [middle] * (n - 2) + [0.4]


def time_decay(touches, *, at: datetime, half_life_days: float) -> list[float]:
    weights = [2.0 ** (-((at - touch.at).total_seconds() / 86400.0) / half_life_days) for touch in touches]
    total = sum(weights)
    return [weight / total for weight in weights]


def markov_removal_effects(paths: Counter) -> dict[str, float]:
    """Removal effect of each state of a first-order Markov chain built from ``paths``: a Counter of
    ``(states tuple, converted bool) -> count``. Returns ``{state: effect}`` (0..1); empty when
    nothing converted."""
    if not any(converted for (_path, converted) in paths):
        return {}
    transitions: dict[str, Counter] = defaultdict(Counter)
    for (states, converted), count in paths.items():
        chain = ("(start)", *states, "(conversion)" if converted else "(null)")
        for a, b in zip(chain, chain[1:], strict=False):
            transitions[a][b] += count
    probability = {
        state: {target: n / sum(targets.values()) for target, n in targets.items()}
        for state, targets in transitions.items()}
    states = sorted({s for path, _converted in paths for s in path})

    def conversion_probability(removed: str | None) -> float:
        # Gauss-Seidel on p(s) = sum_t P(s,t) p(t); p(conversion)=1, p(null)=p(removed)=0
        p = dict.fromkeys(probability, 0.0)
        p["(conversion)"], p["(null)"] = 1.0, 0.0
        order = [s for s in probability if s != "(start)"] + ["(start)"]
        for _iteration in range(10000):
            delta = 0.0
            for s in order:
                if s == removed:
                    continue
                loop = probability[s].get(s, 0.0)
                if loop >= 1.0:
                    value = 0.0
                else:
                    value = sum(pt * p.get(t, 0.0) for t, pt in probability[s].items()
                                if t != s and t != removed) / (1.0 - loop)
                delta = max(delta, abs(value - p[s]))
                p[s] = value
            if delta < 1e-13:
                break
        return p.get("(start)", 0.0)

    base = conversion_probability(None)
    if base <= 0:
        return {}
    return {state: max(0.0, 1.0 - conversion_probability(state) / base) for state in states}


# --- reading the paths -----------------------------------------------------------------------------

def _bounds(params: Params) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.combine(params.start, time.min, tzinfo=zone)
    end = datetime.combine(params.end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def _touch(kind: str, campaign, channel, machine, utm_source: str, utm_campaign: str) -> Touch | None:
    if kind == EventKind.STORE_VISIT:
        return Touch(None, AttributionChannel.STORE, "")
    if kind == EventKind.COUPON_REDEEMED:
        return Touch(None, AttributionChannel.CODE, f"c{campaign}" if campaign not in (None, "") else "")
    if kind == EventKind.PAGE_VIEWED:
        if not utm_source or utm_source == OWN_UTM_SOURCE:
            return None
        return Touch(None, AttributionChannel.ADS, f"u{utm_campaign}" if utm_campaign else "")
    if campaign in (None, "") or machine in (True, "true", "1", 1):
        return None
    mapped = MESSAGE_CHANNELS.get(channel or KIND_CHANNELS.get(kind, ""))
    return Touch(None, mapped, f"c{campaign}") if mapped else None


def conversions_read(params: Params) -> tuple[list[Conversion], list[tuple[Touch, ...]]]:
    """The orders of the range with their touch paths, and the paths of customers who touched and
    did not order (the data-driven model's non-converting paths). Two streamed queries."""
    start, end = _bounds(params)
    window = timedelta(days=params.window_days)
    orders: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    no_touch: list[Conversion] = []
    for customer_id, at, total in (Order.objects.filter(created_at__gte=start, created_at__lt=end,
                                                        customer__isnull=False, currency="JPY")
                                   .exclude(status=OrderStatus.CANCELLED)
                                   .order_by("customer_id", "created_at", "id")
                                   .values_list("customer_id", "created_at", "total").iterator(chunk_size=5000)):
        orders[customer_id].append((at, total))

    touch_filter = (Q(kind__in=CAMPAIGN_KINDS, data__campaign__isnull=False)
                    | Q(kind__in=(EventKind.STORE_VISIT, EventKind.COUPON_REDEEMED))
                    | (Q(kind=EventKind.PAGE_VIEWED) & ~Q(utm_source="")))
    rows = (CustomerEvent.objects.filter(touch_filter, customer__isnull=False, occurred_at__gte=start - window,
                                         occurred_at__lt=end)
            .annotate(a_campaign=KeyTextTransform("campaign", "data"), a_channel=KeyTextTransform("channel", "data"),
                      a_machine=KeyTextTransform("machine", "data"))
            .order_by("customer_id", "occurred_at", "id")
            .values_list("customer_id", "occurred_at", "kind", "a_campaign", "a_channel", "a_machine",
                         "utm_source", "utm_campaign")
            .iterator(chunk_size=10000))

    conversions: list[Conversion] = []
    lost: list[tuple[Touch, ...]] = []

    def flush(customer_id, touches: list[Touch]) -> None:
        placed = orders.pop(customer_id, None)
        if not placed:
            in_range = tuple(t for t in touches if t.at >= start)
            if in_range:
                lost.append(in_range)
            return
        times = [t.at for t in touches]
        for at, total in placed:
            lo, hi = bisect_left(times, at - window), bisect_right(times, at)
            conversions.append(Conversion(at=at, revenue=total, touches=tuple(touches[lo:hi])))

    current, touches = None, []
    for customer_id, at, kind, campaign, channel, machine, utm_source, utm_campaign in rows:
        if customer_id != current:
            if current is not None:
                flush(current, touches)
            current, touches = customer_id, []
        touch = _touch(kind, campaign, channel, machine, utm_source, utm_campaign)
        if touch is not None:
            touches.append(Touch(at, touch.channel, touch.campaign))
    if current is not None:
        flush(current, touches)
    for placed in orders.values():  # customers with orders and no touch at all
        no_touch.extend(Conversion(at=at, revenue=total, touches=()) for at, total in placed)
    return conversions + no_touch, lost


# --- the report --------------------------------------------------------------------------------------

@dataclass
class Credit:
    conversions: float = 0.0
    revenue: float = 0.0


@dataclass
class Row:
    key: str
    label: str
    credits: dict[str, Credit]  # per model
    cost: int | None = None  # yen, None when no cost was entered

    def roas(self, model: str) -> float | None:
        return self.credits[model].revenue / self.cost if self.cost else None


@dataclass
class Report:
    params: Params
    orders: int
    revenue: int
    touched_orders: int
    touches: int
    channels: list[Row] = field(default_factory=list)
    campaigns: list[Row] = field(default_factory=list)


def attribute_model(model: str, conversions: list[Conversion], lost: list[tuple[Touch, ...]], *,
                    half_life_days: float, key) -> dict[str, Credit]:
    """One model's credits per ``key(touch)`` (a channel or a campaign) of every conversion.
    Orders no touch reached are credited to NO_TOUCH by every model."""
    table: dict[str, Credit] = defaultdict(Credit)
    paths: Counter = Counter()
    path_revenue = 0
    converted = 0
    for conversion in conversions:
        touches = conversion.touches
        if not touches:
            credit = table[NO_TOUCH]
            credit.conversions += 1
            credit.revenue += conversion.revenue
            continue
        keys = [key(t) for t in touches]
        if model == "markov":
            paths[(tuple(keys), True)] += 1
            path_revenue += conversion.revenue
            converted += 1
            continue
        weights = (time_decay(touches, at=conversion.at, half_life_days=half_life_days) if model == "time_decay"
                   else SHARES[model](touches))
        for k, weight in zip(keys, weights, strict=True):
            if weight:
                credit = table[k]
                credit.conversions += weight
                credit.revenue += weight * conversion.revenue
    if model == "markov":
        for touches in lost:
            paths[(tuple(key(t) for t in touches), False)] += 1
        effects = markov_removal_effects(paths)
        total_effect = sum(effects.values())
        if total_effect > 0:
            for k, effect in effects.items():
                credit = table[k]
                credit.conversions += converted * effect / total_effect
                credit.revenue += path_revenue * effect / total_effect
    return table


SHARES = {"first_touch": first_touch, "last_touch": last_touch, "linear": linear, "position": position_based}


def attribute(conversions: list[Conversion], lost: list[tuple[Touch, ...]], *, half_life_days: float,
              key) -> dict[str, dict[str, Credit]]:
    """Credits per model and per ``key(touch)`` of every conversion (``attribute_model`` for each)."""
    return {model: attribute_model(model, conversions, lost, half_life_days=half_life_days, key=key)
            for model in MODELS}


def channel_key(touch: Touch) -> str:
    return touch.channel


def campaign_key(touch: Touch) -> str:
    return touch.campaign


def _campaign_labels(keys) -> dict[str, str]:
    ids = {int(k[1:]) for k in keys if k.startswith("c") and k[1:].isdigit()}
    names = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    labels = {}
    for k in keys:
        if k == NO_TOUCH:
            labels[k] = str(_("No touch"))
        elif k == "":
            labels[k] = str(_("No campaign (store visits, shared codes)"))
        elif k.startswith("c"):
            labels[k] = names.get(int(k[1:]), str(_("Deleted campaign #%(id)s") % {"id": k[1:]})) \
                if k[1:].isdigit() else k
        else:
            labels[k] = str(_("Ad: %(name)s") % {"name": k[1:]})
    return labels


def _costs(params: Params) -> tuple[dict[str, int], dict[str, int]]:
    """Costs entered per month, prorated by the days of the month inside the range, per channel and
    per campaign (``c<id>``). One query."""
    first = params.start.replace(day=1)
    by_channel: dict[str, float] = defaultdict(float)
    by_campaign: dict[str, float] = defaultdict(float)
    for month, channel, campaign_id, amount in (ChannelCost.objects.filter(month__gte=first, month__lte=params.end)
                                                .values_list("month", "channel", "campaign_id", "amount")):
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = (next_month - month).days
        overlap = (min(next_month, params.end + timedelta(days=1)) - max(month, params.start)).days
        share = amount * max(overlap, 0) / days
        by_channel[channel] += share
        if campaign_id:
            by_campaign[f"c{campaign_id}"] += share
    return ({k: round(v) for k, v in by_channel.items()}, {k: round(v) for k, v in by_campaign.items()})


@dataclass
class Totals:
    orders: int
    revenue: int
    touched_orders: int
    touches: int
    lost_paths: int = 0  # the non-converting paths the data-driven model read


def totals_of(conversions: list[Conversion], lost: list) -> Totals:
    return Totals(orders=len(conversions), revenue=sum(c.revenue for c in conversions),
                  touched_orders=sum(1 for c in conversions if c.touches),
                  touches=sum(len(c.touches) for c in conversions), lost_paths=len(lost))


def attribution_report(params: Params) -> Report:
    """Every figure of the attribution page: conversions and revenue per channel and per campaign
    for all six models, with the costs entered for the range. Four queries."""
    conversions, lost = conversions_read(params)
    by_channel = attribute(conversions, lost, half_life_days=params.half_life_days, key=channel_key)
    by_campaign = attribute(conversions, lost, half_life_days=params.half_life_days, key=campaign_key)
    return report_from_credits(params, totals_of(conversions, lost), by_channel, by_campaign)


def report_from_credits(params: Params, totals: Totals, by_channel: dict[str, dict[str, Credit]],
                        by_campaign: dict[str, dict[str, Credit]]) -> Report:
    """The report of computed credits, with the costs and campaign names as they are now (two
    queries): a stored run (``campaigns.attribution_runs``) shows the costs entered since."""
    channel_costs, campaign_costs = _costs(params)

    def rows(credits, labels, costs) -> list[Row]:
        keys = set().union(*(table.keys() for table in credits.values())) | set(costs)
        out = [Row(key=k, label=labels.get(k, k), credits={m: credits[m].get(k, Credit()) for m in MODELS},
                   cost=costs.get(k)) for k in keys]
        out.sort(key=lambda row: (row.key == NO_TOUCH, -row.credits["linear"].revenue, row.label))
        return out

    channel_labels = {**dict(AttributionChannel.choices), NO_TOUCH: _("No touch")}
    channel_labels = {k: str(v) for k, v in channel_labels.items()}
    campaign_keys = set().union(*(table.keys() for table in by_campaign.values())) | set(campaign_costs)
    return Report(params=params, orders=totals.orders, revenue=totals.revenue,
                  touched_orders=totals.touched_orders, touches=totals.touches,
                  channels=rows(by_channel, channel_labels, channel_costs),
                  campaigns=rows(by_campaign, _campaign_labels(campaign_keys), campaign_costs))


# --- channel costs (entered by HQ marketers) ------------------------------------------------------

def channel_cost_save(*, month: date, channel: str, amount, campaign: Campaign | None = None, note: str = "",
                      acting_user=None) -> ChannelCost:
    """Set what ``channel`` (or ``campaign`` on it) cost in ``month`` (any day of it): one row per
    (month, channel, campaign), saved again when entered again. CampaignInvalid names bad fields."""
    errors: dict[str, list] = {}
    if channel not in AttributionChannel.values:
        errors["channel"] = [_("Choose a channel from the list.")]
    try:
        amount = int(amount)
        if amount < 0:
            errors["amount"] = [_("A cost cannot be negative.")]
    except (TypeError, ValueError):
        errors["amount"] = [_("Enter the cost in yen as a whole number.")]
    if not isinstance(month, date):
        errors["month"] = [_("Enter a month (YYYY-MM).")]
    if len(note or "") > 200:
        errors["note"] = [_("Keep the note to 200 characters.")]
    if errors:
        raise CampaignInvalid(errors)
    with transaction.atomic():
        before = ChannelCost.objects.filter(month=month.replace(day=1), channel=channel, campaign=campaign).first()
        row, _created = ChannelCost.objects.update_or_create(
            month=month.replace(day=1), channel=channel, campaign=campaign,
            defaults={"amount": amount, "note": note or "", "updated_by": acting_user})
        audit_record(actor=acting_user, action="channel_cost_save", obj=row,
                     changes={"amount": [before.amount if before else None, amount]})
    return row


@transaction.atomic
def channel_cost_delete(*, cost: ChannelCost, acting_user=None) -> None:
    audit_record(actor=acting_user, action="channel_cost_delete", obj=cost, changes={"amount": [cost.amount, None]})
    cost.delete()


# --- the chart: attributed revenue per channel, one bar per model ------------------------------------

@dataclass(frozen=True)
class Bar:
    model: str
    y: float
    width: float
    label: str  # the value, for the bar's tooltip


@dataclass(frozen=True)
class BarGroup:
    label: str
    y: float  # the group's label position
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    groups: list[BarGroup]
    ticks: list[tuple[float, str, str]]  # (x, label, text-anchor)
    empty: bool


def revenue_chart(rows: list[Row], *, width: int = 720, bar: int = 7, gap: int = 14) -> BarChart:
    """The SVG geometry of ``rows``' attributed revenue: a group of six bars (one per model) for
    each row, the revenue axis at 0, half and the top (campaigns/console/attribution.html)."""
    left, right, top = 150, width - 16, 8
    from .results import _nice_max

    peak = max((row.credits[m].revenue for row in rows for m in MODELS), default=0)
    top_value = _nice_max(int(peak + 0.5))
    groups, y = [], top
    for row in rows:
        bars = []
        for i, model in enumerate(MODELS):
            value = row.credits[model].revenue
            bars.append(Bar(model=model, y=y + i * bar, width=round((right - left) * value / top_value, 1),
                            label=f"{MODEL_LABELS[model]}: ¥{round(value):,}"))
        groups.append(BarGroup(label=row.label, y=y + 3 * bar, bars=bars))
        y += len(MODELS) * bar + gap
    ticks = [(round(left + (right - left) * v / top_value, 1), f"¥{v:,}", anchor)
             for v, anchor in ((0, "start"), (top_value // 2, "middle"), (top_value, "end"))]
    return BarChart(width=width, height=int(y) + 20, left=left, right=right, groups=groups, ticks=ticks,
                    empty=not rows or peak <= 0)
