"""Registers (tills) and their sessions: set a register up at a store, open it with a float,
close it with a cash count (レジ締め). The day report of a session or of a store's business day
is ``orders.register_report``.

A register has at most one open session (a partial unique constraint backs the rule). The
cash the drawer should hold at close is the opening float plus every cash ``Payment`` of the
session, refunds (negative rows) included: for cash a payment's ``amount`` is what the drawer
kept, the change already netted out. Over/short = counted − expected, recorded at close.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel import roles
from kernel.audit import audit_record
from kernel.models import Location, LocationKind
from kernel.templatetags.money import yen

from .errors import InvalidOrder
from .models import Payment, Register, RegisterSession, TenderKind

# The notes and coins a Japanese drawer holds, largest first (yen).
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1)
# A count of one denomination above this is a typo, not a drawer.
MAX_PIECES = 99_999
# A float or a count above this is refused (a drawer never holds ¥100 million).
MAX_CASH = 99_999_999
MAX_NOTE_LENGTH = 200
REGISTER_KINDS = (LocationKind.STORE, LocationKind.POPUP)


# --- reads ------------------------------------------------------------------------------------

def registers_for_user(user) -> QuerySet[Register]:
    """The active registers a console user may see: their own store's for store staff, every
    store's for HQ and administrators; with their location and open session (no query per row:
    ``register.open_sessions`` is a list of at most one session, with ``expected_now``: the cash
    its drawer should hold now)."""
    return (Register.objects.filter(is_active=True, location__in=roles.scoped_locations(user))
            .select_related("location")
            .prefetch_related(Prefetch("sessions", to_attr="open_sessions",
                                       queryset=sessions_with_cash(RegisterSession.objects.filter(
                                           closed_at__isnull=True).select_related("opened_by"))))
            .order_by("location__code", "code"))


def register_session_current(register: Register) -> RegisterSession | None:
    """The open session of the register, or None when it is closed (one query, or none when the
    register came from ``registers_for_user``). The till takes money into this session."""
    if hasattr(register, "open_sessions"):
        return register.open_sessions[0] if register.open_sessions else None
    return (RegisterSession.objects.filter(register=register, closed_at__isnull=True)
            .select_related("register__location", "opened_by").first())


def session_cash_taken(session: RegisterSession) -> int:
    """Σ cash payments of the session, refunds included (what the drawer gained since opening)."""
    return Payment.objects.filter(register_session=session, kind=TenderKind.CASH).aggregate(
        total=Sum("amount"))["total"] or 0


def session_expected_cash(session: RegisterSession) -> int:
    """What the drawer should hold now: the opening float plus the session's cash payments."""
    return session.opening_float + session_cash_taken(session)


def sessions_with_cash(sessions: QuerySet[RegisterSession]) -> QuerySet[RegisterSession]:
    """``sessions`` with ``cash_taken`` (Σ cash payments) and ``expected_now`` (the float plus it)
    annotated, for the lists that show the expected cash of open sessions: one query for all."""
    return sessions.annotate(
        cash_taken=Coalesce(Sum("payments__amount", filter=Q(payments__kind=TenderKind.CASH)), 0),
    ).annotate(expected_now=F("opening_float") + F("cash_taken"))


def session_history(*, registers: QuerySet[Register], business_date: date | None = None) -> QuerySet[RegisterSession]:
    """Sessions of ``registers``, newest first (optionally of one business day), with what the
    history list shows: register, location, who opened and closed, the cash taken."""
    sessions = RegisterSession.objects.filter(register__in=registers)
    if business_date is not None:
        start, end = business_day_bounds(business_date)
        sessions = sessions.filter(opened_at__gte=start, opened_at__lt=end)
    return sessions_with_cash(sessions.select_related("register__location", "opened_by", "closed_by")
                              ).order_by("-opened_at", "-id")


def session_get(*, pk: int, user) -> RegisterSession:
    """One session the user may see (RegisterSession.DoesNotExist otherwise: a 404 for the views)."""
    return (RegisterSession.objects.select_related("register__location", "opened_by", "closed_by")
            .get(pk=pk, register__location__in=roles.scoped_locations(user)))


def register_get(*, pk: int, user) -> Register:
    """One active register the user may see (Register.DoesNotExist otherwise)."""
    return registers_for_user(user).get(pk=pk)


def business_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The business day ``day`` in the shop's time zone: a session belongs to the day it opened."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def business_date_of(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def store_sessions(*, location: Location, business_date: date) -> QuerySet[RegisterSession]:
    """Every session of the store's registers opened on the business day."""
    start, end = business_day_bounds(business_date)
    return RegisterSession.objects.filter(register__location=location, opened_at__gte=start, opened_at__lt=end)


def locations_with_registers(user) -> QuerySet[Location]:
    """The stores (in the user's scope) that have an active register."""
    return (roles.scoped_locations(user)
            .filter(Exists(Register.objects.filter(location=OuterRef("pk"), is_active=True)))
            .order_by("code"))


# --- the cash count ----------------------------------------------------------------------------

def cash_count_clean(counts: Mapping) -> tuple[dict[str, int], int, dict[str, list[str]]]:
    """Check a count by denomination (``{10000: 3, "1000": 12}``; missing or blank: none).
    Returns (the count as stored, keys as strings, zeros left out; its total; errors keyed
    ``cash_count.<denomination>``)."""
    cleaned: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    known = {str(value) for value in DENOMINATIONS}
    for key, raw in (counts or {}).items():
        if str(key) not in known:
            errors[f"cash_count.{key}"] = [_("Not a yen note or coin: %(value)s") % {"value": key}]
            continue
        if raw in (None, ""):
            continue
        try:
            pieces = int(str(raw).strip()) if not isinstance(raw, bool) else None
        except ValueError:
            pieces = None
        if pieces is None or pieces < 0 or pieces > MAX_PIECES:
            errors[f"cash_count.{key}"] = [_("Enter how many, a whole number from 0 to %(max)s.")
                                           % {"max": f"{MAX_PIECES:,}"}]
            continue
        if pieces:
            cleaned[str(key)] = pieces
    ordered = {str(value): cleaned[str(value)] for value in DENOMINATIONS if str(value) in cleaned}
    total = sum(int(value) * pieces for value, pieces in ordered.items())
    return ordered, total, errors


def _cash_amount(errors: dict, field: str, value, *, message: str) -> int | None:
    """``value`` if it is whole yen from 0 to MAX_CASH; else ``message`` (with %(max)s) on ``field``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CASH:
        errors[field] = [message % {"max": yen(MAX_CASH)}]
        return None
    return value


# --- writes ------------------------------------------------------------------------------------

@transaction.atomic
def register_create(*, location: Location, code: str, name: str, acting_user=None) -> Register:
    """Set a register up at a store or pop-up (administrators and HQ). The code is unique per store."""
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if location.kind not in REGISTER_KINDS:
        errors["location"] = [_("Registers are set up at stores and pop-ups.")]
    if not code or len(code) > 20:
        errors["code"] = [_("Give the register a code of at most 20 characters.")]
    elif Register.objects.filter(location=location, code=code).exists():
        errors["code"] = [_("%(store)s already has a register %(code)s.") % {"store": location.name, "code": code}]
    if not name or len(name) > 60:
        errors["name"] = [_("Give the register a name of at most 60 characters.")]
    if errors:
        raise InvalidOrder(errors)
    register = Register.objects.create(location=location, code=code, name=name)
    audit_record(actor=acting_user, action="register_create", obj=register,
                 changes={"location": location.code, "code": code, "name": name})
    return register


@transaction.atomic
def register_open(*, register: Register, opening_float: int, acting_user=None) -> RegisterSession:
    """Open the register for the day with ``opening_float`` yen in the drawer. A register that
    is already open is refused (and so is an inactive one): close it first."""
    errors: dict[str, list[str]] = {}
    register = Register.objects.select_for_update().select_related("location").get(pk=register.pk)
    _cash_amount(errors, "opening_float", opening_float,
                 message=_("Enter the opening float in whole yen, from ¥0 to %(max)s."))
    if not register.is_active:
        errors["register"] = [_("Register %(register)s is no longer in use.") % {"register": register}]
    else:
        current = RegisterSession.objects.filter(register=register, closed_at__isnull=True).select_related(
            "opened_by").first()
        if current is not None:
            errors["register"] = [_("Register %(register)s is already open (since %(since)s): close it first.")
                                  % {"register": register,
                                     "since": timezone.localtime(current.opened_at).strftime("%Y-%m-%d %H:%M")}]
    if errors:
        raise InvalidOrder(errors)
    try:
        with transaction.atomic():
            session = RegisterSession.objects.create(register=register, opening_float=opening_float,
                                                     opened_by=acting_user if _is_user(acting_user) else None)
    except IntegrityError as exc:  # another till opened it in the same instant
        raise InvalidOrder({"register": [_("Register %(register)s is already open: close it first.")
                                         % {"register": register}]}) from exc
    audit_record(actor=acting_user, action="register_open", obj=session,
                 changes={"register": register.pk, "opening_float": opening_float})
    return session


@transaction.atomic
def register_close(*, session: RegisterSession, counted_cash: int | None = None,
                   cash_count: Mapping | None = None, note: str = "", acting_user=None) -> RegisterSession:
    """Close the session with the cash counted in the drawer: either ``cash_count`` (pieces per
    denomination, whose total is the counted cash; stored as the breakdown) or ``counted_cash``
    alone; both given must agree. Records the expected cash and so the over/short. The session
    row is locked, so a payment being taken into it finishes first (``payment_take`` locks it too)
    and no payment lands after the count. Closing a closed session is refused."""
    errors: dict[str, list[str]] = {}
    session = RegisterSession.objects.select_for_update().get(pk=session.pk)
    if not session.is_open:
        raise InvalidOrder({"session": [_("This register session was already closed at %(when)s.")
                                        % {"when": timezone.localtime(session.closed_at).strftime("%Y-%m-%d %H:%M")}]})
    breakdown: dict[str, int] = {}
    if cash_count is not None:
        breakdown, total, count_errors = cash_count_clean(cash_count)
        errors.update(count_errors)
        if not count_errors:
            if counted_cash is not None and counted_cash != total:
                errors["counted_cash"] = [_("The count by denomination comes to %(total)s, not %(counted)s.")
                                          % {"total": yen(total), "counted": yen(counted_cash)}]
            elif total > MAX_CASH:
                errors["cash_count"] = [_("The count comes to more than %(max)s.") % {"max": yen(MAX_CASH)}]
            counted_cash = total
    elif counted_cash is None:
        errors["counted_cash"] = [_("Enter the cash counted in the drawer.")]
    else:
        _cash_amount(errors, "counted_cash", counted_cash,
                     message=_("Enter the counted cash in whole yen, from ¥0 to %(max)s."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("At most %(n)s characters.") % {"n": MAX_NOTE_LENGTH}]
    if errors:
        raise InvalidOrder(errors)
    session.expected_cash = session_expected_cash(session)
    session.counted_cash = counted_cash
    session.cash_count = breakdown
    session.note = note
    session.closed_at = timezone.now()
    session.closed_by = acting_user if _is_user(acting_user) else None
    session.save(update_fields=["expected_cash", "counted_cash", "cash_count", "note", "closed_at", "closed_by"])
    audit_record(actor=acting_user, action="register_close", obj=session,
                 changes={"counted_cash": counted_cash, "expected_cash": session.expected_cash,
                          "over_short": session.over_short})
    return session


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)
