"""The day report of a register session, or of a store's business day (精算レポート, Z report):
sales by tender and by tax rate, returns, voids, discounts and the cash over/short.

Everything is summed by the database over the sessions' ``Payment`` rows and the orders they
paid, in a constant number of queries whatever the day's size (five, plus none per session).

What each figure counts:

- **Sales**: orders with money taken (a positive payment) in the sessions, voided sales left
  out; the amount is the money taken for them.
- **Returns**: money given back (negative payments) on orders that are not voids.
- **Voids**: a sale cancelled at the till (``VOID``: a cancelled POS order) whose money was
  taken in these sessions; the till gives the money back in the same session, so a void
  nets to zero in the tenders and the cash.
- **By tender**: every payment, taken and given back, per tender; cash also with what was
  handed over and the change.
- **By tax rate**: the sold orders' lines after discounts per rate, the delivery fee at the
  standard rate, and the consumption tax contained in each rate's total, rounded down once
  per rate for the report (割戻し計算, ``orders.tax.summarise``).
- **Cash**: the opening float + Σ cash payments = expected; counted − expected = over/short.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kernel.japan import STANDARD_TAX_RATE
from kernel.models import ChannelKind, Location

from .models import Order, OrderLine, OrderStatus, Payment, RegisterSession, TenderKind
from .registers import DENOMINATIONS, sessions_with_cash, store_sessions
from .tax import TaxSummary, summarise


def void_q(prefix: str = "") -> Q:
    """A voided sale: a POS order cancelled after its money was taken at the till (the till's void
    cancels the order and gives the money back in the same session). One place to adjust."""
    return Q(**{f"{prefix}status": OrderStatus.CANCELLED, f"{prefix}channel__kind": ChannelKind.POS})


@dataclass(frozen=True)
class TenderLine:
    kind: str
    label: str
    taken: int  # money in (positive payments)
    taken_count: int
    given_back: int  # money out (refunds, voids), as a positive number
    given_back_count: int
    tendered: int = 0  # cash handed over by customers
    change: int = 0  # cash handed back as change

    @property
    def net(self) -> int:
        return self.taken - self.given_back


@dataclass(frozen=True)
class DayReport:
    sessions: list[RegisterSession]
    location: Location | None
    business_date: date | None
    sales_count: int
    sales_amount: int
    items_sold: int
    returns_count: int
    returns_amount: int
    voids_count: int
    voids_amount: int
    discount_count: int
    discount_amount: int
    net: int  # Σ every payment of the sessions
    tenders: list[TenderLine]
    tax: TaxSummary
    opening_float: int
    cash_taken: int
    counted_cash: int | None  # None until every session is closed
    over_short: int | None
    cash_count: list[tuple[int, int, int]] = field(default_factory=list)  # (denomination, pieces, amount)

    @property
    def expected_cash(self) -> int:
        return self.opening_float + self.cash_taken

    @property
    def tax_net(self) -> int:
        """The sales by rate without their consumption tax."""
        return self.tax.total - self.tax.tax

    @property
    def open_sessions(self) -> int:
        return sum(1 for session in self.sessions if session.is_open)

    @property
    def is_closed(self) -> bool:
        return bool(self.sessions) and self.open_sessions == 0

    @property
    def single(self) -> RegisterSession | None:
        return self.sessions[0] if len(self.sessions) == 1 else None


def session_report(session: RegisterSession) -> DayReport:
    """The report of one register session (open: figures so far; closed: its Z report)."""
    sessions = RegisterSession.objects.filter(pk=session.pk)
    return _report(sessions, location=None, business_date=None)


def store_day_report(*, location: Location, business_date: date) -> DayReport:
    """The report of every register of the store for the business day (sessions opened that day)."""
    return _report(store_sessions(location=location, business_date=business_date), location=location,
                   business_date=business_date)


def _report(sessions: QuerySet[RegisterSession], *, location, business_date) -> DayReport:
    listed = list(sessions_with_cash(sessions.select_related("register__location", "opened_by", "closed_by"))
                  .order_by("opened_at", "id"))
    payments = Payment.objects.filter(register_session__in=[s.pk for s in listed])
    taken, back, void = Q(amount__gt=0), Q(amount__lt=0), void_q("order__")

    tenders = []
    rows = (payments.values("kind")
            .annotate(taken=Coalesce(Sum("amount", filter=taken), 0), taken_count=Count("id", filter=taken),
                      given_back=Coalesce(Sum("amount", filter=back), 0), given_back_count=Count("id", filter=back),
                      tendered=Coalesce(Sum("tendered"), 0), change=Coalesce(Sum("change"), 0))
            .order_by())
    by_kind = {row["kind"]: row for row in rows}
    for kind in TenderKind:  # the tenders in their usual order, cash first
        row = by_kind.get(kind.value)
        if row is not None:
            tenders.append(TenderLine(kind=kind.value, label=str(kind.label), taken=row["taken"],
                                      taken_count=row["taken_count"], given_back=-row["given_back"],
                                      given_back_count=row["given_back_count"], tendered=row["tendered"],
                                      change=row["change"]))

    totals = payments.aggregate(
        sales_count=Count("order", distinct=True, filter=taken & ~void),
        sales_amount=Coalesce(Sum("amount", filter=taken & ~void), 0),
        returns_count=Count("order", distinct=True, filter=back & ~void),
        returns_amount=Coalesce(Sum("amount", filter=back & ~void), 0),
        voids_count=Count("order", distinct=True, filter=taken & void),
        voids_amount=Coalesce(Sum("amount", filter=taken & void), 0),
        net=Coalesce(Sum("amount"), 0),
        cash_taken=Coalesce(Sum("amount", filter=Q(kind=TenderKind.CASH)), 0),
    )

    sold = Order.objects.filter(Exists(payments.filter(order=OuterRef("pk"), amount__gt=0))).exclude(void_q())
    per_rate = (OrderLine.objects.filter(order__in=sold).values("tax_rate")
                .annotate(amount=Sum(F("line_total") - F("discount")), items=Sum("quantity")).order_by())
    orders = sold.aggregate(
        discount_amount=Coalesce(Sum(F("discount_total") + F("shipping_discount")), 0),
        discount_count=Count("id", filter=Q(discount_total__gt=0) | Q(shipping_discount__gt=0)),
        shipping=Coalesce(Sum(F("shipping_fee") - F("shipping_discount")), 0),
    )
    pairs = [(row["amount"], row["tax_rate"]) for row in per_rate]
    if orders["shipping"]:
        pairs.append((orders["shipping"], STANDARD_TAX_RATE))

    closed = [s for s in listed if not s.is_open]
    all_closed = bool(listed) and len(closed) == len(listed)
    pieces: dict[int, int] = {}
    for session in closed:
        for value, count in (session.cash_count or {}).items():
            pieces[int(value)] = pieces.get(int(value), 0) + int(count)
    return DayReport(
        sessions=listed, location=location, business_date=business_date,
        sales_count=totals["sales_count"], sales_amount=totals["sales_amount"],
        items_sold=sum(row["items"] for row in per_rate),
        returns_count=totals["returns_count"], returns_amount=-totals["returns_amount"],
        voids_count=totals["voids_count"], voids_amount=totals["voids_amount"],
        discount_count=orders["discount_count"], discount_amount=orders["discount_amount"],
        net=totals["net"], tenders=tenders, tax=summarise(pairs),
        opening_float=sum(s.opening_float for s in listed), cash_taken=totals["cash_taken"],
        counted_cash=sum(s.counted_cash or 0 for s in closed) if all_closed else None,
        over_short=sum(s.over_short or 0 for s in closed) if closed else None,
        cash_count=[(value, pieces[value], value * pieces[value]) for value in DENOMINATIONS if value in pieces],
    )


def report_as_dict(report: DayReport) -> dict:
    """The report as the API returns it (plain JSON types)."""
    return {
        "location": report.location.code if report.location else None,
        "business_date": report.business_date.isoformat() if report.business_date else None,
        "sessions": [session.pk for session in report.sessions],
        "closed": report.is_closed,
        "sales": {"count": report.sales_count, "amount": report.sales_amount, "items": report.items_sold},
        "returns": {"count": report.returns_count, "amount": report.returns_amount},
        "voids": {"count": report.voids_count, "amount": report.voids_amount},
        "discounts": {"count": report.discount_count, "amount": report.discount_amount},
        "net": report.net,
        "tenders": [{"kind": t.kind, "taken": t.taken, "taken_count": t.taken_count, "given_back": t.given_back,
                     "given_back_count": t.given_back_count, "net": t.net, "tendered": t.tendered,
                     "change": t.change} for t in report.tenders],
        "tax": [{"rate": r.rate, "total": r.total, "tax": r.tax, "net": r.net} for r in report.tax.by_rate],
        "cash": {"opening_float": report.opening_float, "taken": report.cash_taken,
                 "expected": report.expected_cash, "counted": report.counted_cash, "over_short": report.over_short,
                 "count": [{"denomination": value, "pieces": count, "amount": amount}
                           for value, count, amount in report.cash_count]},
    }
