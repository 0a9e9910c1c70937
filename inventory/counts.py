"""Cycle counts: blind counts of a location or one zone of it, approved by a second person.

    counting ──submit──▶ awaiting approval ──approve──▶ posted
        ▲                     │
        └──────recount────────┘        (cancel from counting or awaiting approval)

**Start** takes a snapshot: one line per stock row of the location (or zone) with its on_hand
at that moment. **Enter**: counters scan items (each scan adds one) or type the quantity
counted; they never see the snapshot (the console and the API hide it until the count is
submitted). An item found that is not in the snapshot gets a line of its own. **Submit**: lines
nobody counted are recorded as 0, and the variances become visible for review. **Approve**: by
someone other than the person who submitted it (or by a supervisor with
``inventory.approve_own_stockcount``); the variances are posted as ledger rows (reason COUNT,
reference ``count:CC-…``). A count is posted once: approving it again is refused.

**Stock that moved during the count.** The counter counts the shelf as it was at the start:
each line's posted adjustment is ``counted − on hand at start``, applied to on_hand as it is
when the count is posted, so the sales, receipts and transfers booked between the start and
the posting are kept, not overwritten. (Posting ``counted`` as the new on_hand would undo
them.) The review shows, per line, how much moved since the start; a reviewer who doubts a
line sends the count back for a recount. Count a zone when it is quiet.

A posting that would leave fewer units on hand than are held for orders is refused as a whole
(release or reassign those holds first), like a stock adjustment.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.models import Location

from .documents import MAX_LINE_QUANTITY, create_numbered
from .errors import DocumentStateError, LinesInvalid
from .models import (
    MovementReason,
    StockCount,
    StockCountLine,
    StockCountStatus,
    StockLevel,
    StockMovement,
    Variant,
)

APPROVE_OWN_PERMISSION = "inventory.approve_own_stockcount"
OPEN_STATES = (StockCountStatus.COUNTING, StockCountStatus.SUBMITTED)


@transaction.atomic
def _locked(count: StockCount, *states: str) -> StockCount:
    locked = StockCount.objects.select_for_update().select_related("location").get(pk=count.pk)
    if locked.status not in states:
        if locked.status == StockCountStatus.POSTED:
            raise DocumentStateError(_("%(number)s was already posted.") % {"number": locked.number})
        raise DocumentStateError(_("%(number)s is %(status)s: this step is not possible now.") % {
            "number": locked.number, "status": locked.get_status_display()})
    return locked


@transaction.atomic
def count_start(*, location: Location, zone: str = "", note: str = "", acting_user=None) -> StockCount:
    """Start a blind count of ``location`` (or of one ``zone`` of it) with a snapshot of its
    on_hand. Refused while another open count covers the same shelves."""
    zone = (zone or "").strip()[:30]
    Location.objects.select_for_update().filter(pk=location.pk).first()  # one count start at a time per location
    clash = StockCount.objects.filter(location=location, status__in=OPEN_STATES)
    if zone:
        clash = clash.filter(zone__in=["", zone])
    other = clash.first()
    if other is not None:
        raise DocumentStateError(_("%(number)s is still open for these shelves: finish or cancel it first.") % {
            "number": other.number})
    count = create_numbered(StockCount(location=location, zone=zone, note=(note or "").strip()[:200],
                                       started_by=acting_user))
    levels = StockLevel.objects.filter(location=location)
    if zone:
        levels = levels.filter(zone=zone)
    StockCountLine.objects.bulk_create([StockCountLine(count=count, variant_id=variant_id, expected=on_hand)
                                        for variant_id, on_hand in levels.order_by("variant__sku")
                                        .values_list("variant_id", "on_hand")], batch_size=1000)
    return count


@transaction.atomic
def count_enter(*, count: StockCount, variant: Variant, quantity: int, add: bool = False,
                acting_user=None) -> StockCountLine:
    """Record what was counted of ``variant``: ``quantity`` units (typed), or ``quantity`` more
    (``add``: each scan adds one). An item not in the snapshot gets a line, its snapshot taken
    now. LinesInvalid on a bad number."""
    count = _locked(count, StockCountStatus.COUNTING)
    if not isinstance(quantity, int) or quantity < 0 or quantity > MAX_LINE_QUANTITY:
        raise LinesInvalid({"quantity": [_("Give a whole number from 0 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]})
    line = StockCountLine.objects.select_for_update().filter(count=count, variant=variant).first()
    if line is None:
        on_hand = StockLevel.objects.filter(location=count.location_id, variant=variant).values_list(
            "on_hand", flat=True).first() or 0
        line = StockCountLine.objects.create(count=count, variant=variant, expected=on_hand)
    line.counted = (line.counted or 0) + quantity if add else quantity
    if line.counted > MAX_LINE_QUANTITY:
        raise LinesInvalid({"quantity": [_("Give a whole number from 0 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]})
    line.save(update_fields=["counted"])
    return line


def _moved_since(count: StockCount, lines: list[StockCountLine]) -> None:
    on_hand = dict(StockLevel.objects.filter(location=count.location_id, variant_id__in=[
        line.variant_id for line in lines]).values_list("variant_id", "on_hand"))
    for line in lines:
        line.moved_since = on_hand.get(line.variant_id, 0) - line.expected


@transaction.atomic
def count_submit(*, count: StockCount, acting_user=None) -> StockCount:
    """Hand the count over for review: lines nobody counted are recorded as 0 units found."""
    count = _locked(count, StockCountStatus.COUNTING)
    lines = list(count.lines.all())
    for line in lines:
        if line.counted is None:
            line.counted = 0
    _moved_since(count, lines)
    StockCountLine.objects.bulk_update(lines, ["counted", "moved_since"], batch_size=1000)
    count.status, count.submitted_by, count.submitted_at = StockCountStatus.SUBMITTED, acting_user, timezone.now()
    count.save(update_fields=["status", "submitted_by", "submitted_at"])
    return count


@transaction.atomic
def count_recount(*, count: StockCount, acting_user=None) -> StockCount:
    """Send a submitted count back to the counters (the counts entered stay, to be corrected)."""
    count = _locked(count, StockCountStatus.SUBMITTED)
    count.status, count.submitted_by, count.submitted_at = StockCountStatus.COUNTING, None, None
    count.save(update_fields=["status", "submitted_by", "submitted_at"])
    return count


@transaction.atomic
def count_cancel(*, count: StockCount, acting_user=None) -> StockCount:
    count = _locked(count, *OPEN_STATES)
    count.status = StockCountStatus.CANCELLED
    count.save(update_fields=["status"])
    return count


@transaction.atomic
def count_approve(*, count: StockCount, acting_user=None) -> StockCount:
    """Approve the variances and post them (see the module's docstring for the rule). Refused
    (DocumentStateError) when the count is not awaiting approval (posted already, still being
    counted) or when the approver submitted it without the supervisor permission; refused
    (LinesInvalid, naming the lines) when a line would take on_hand below the units held for
    orders. Nothing is posted then."""
    count = _locked(count, StockCountStatus.SUBMITTED)
    if (acting_user is not None and count.submitted_by_id == acting_user.pk
            and not acting_user.has_perm(APPROVE_OWN_PERMISSION)):
        raise DocumentStateError(_("Another person approves a count: you submitted %(number)s.") % {
            "number": count.number})
    lines = list(count.lines.select_related("variant").order_by("variant_id"))
    now = timezone.now()
    movements, errors = [], {}
    for index, line in enumerate(lines):
        variance = line.variance or 0
        line.posted = variance
        if not variance:
            continue
        rows = StockLevel.objects.filter(variant_id=line.variant_id, location=count.location_id)
        if variance < 0:
            rows = rows.filter(on_hand__gte=F("reserved") - variance)
        elif not rows.exists():
            StockLevel.objects.create(variant_id=line.variant_id, location_id=count.location_id)
        if rows.update(on_hand=F("on_hand") + variance, updated_at=now) != 1:
            level = StockLevel.objects.filter(variant_id=line.variant_id, location=count.location_id).first()
            errors[f"lines.{index}.counted"] = [
                _("%(sku)s: taking off %(n)d would leave fewer units than the %(reserved)d held for orders. Release "
                  "or reassign those holds first.") % {"sku": line.variant.sku, "n": -variance,
                                                       "reserved": level.reserved if level else 0}]
            continue
        movements.append(StockMovement(variant_id=line.variant_id, location_id=count.location_id, quantity=variance,
                                       reason=MovementReason.COUNT, reference=count.ledger_reference,
                                       note=count.note,
                                       acting_user=acting_user))
    if errors:
        raise LinesInvalid(errors, _("Nothing was posted: %(lines)s") % {
            "lines": " ".join(m for messages in errors.values() for m in messages)})
    StockMovement.objects.bulk_create(movements)
    _moved_since(count, lines)  # as it was when posted, for the record
    StockCountLine.objects.bulk_update(lines, ["posted", "moved_since"], batch_size=1000)
    found = {(line.variant_id, count.location_id): line.posted for line in lines if line.posted > 0}
    if found:
        from .services import _announce_available

        _announce_available(found)
    count.status, count.approved_by, count.posted_at = StockCountStatus.POSTED, acting_user, now
    count.save(update_fields=["status", "approved_by", "posted_at"])
    return count
