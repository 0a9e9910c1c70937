"""Identities and merge: finding customer records that are one person, the review queue, and the
merge that makes them one.

Detection compares normalised keys in SQL (a self-join of the keys on themselves, one query per
rule), never customer by customer in Python:

- email: lower case and trimmed; for Gmail (gmail.com, googlemail.com) also without dots and
  without a ``+tag`` in the local part, because Google delivers those to the same mailbox. No
  other provider's addresses are folded: only what is certainly the same mailbox;
- phone: the digits (``kernel.japan.normalize_phone``), 10 or 11 of them;
- name and postal code: family + given name, in kanji or in kana, as ``kernel.japan.search_key``
  folds them (``Customer.name_key`` / ``kana_key``; both names are needed: a family name alone is
  a household), with the same postal code.

The customer's own email and phone and their email/phone identities (``Identity``) all count. A
key shared by more than ``DUPLICATE_GROUP_LIMIT`` records (a shop's own phone number typed for
walk-in customers, a placeholder address) says nothing about a person and is skipped.

A merge (``customer_merge``) moves everything of the merged record to the survivor in one
transaction, records what it did in a ``CustomerMerge`` row and deletes the merged record.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Concat, Length, Lower, Replace, StrIndex, Substr, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.audit import audit_record, audit_values
from kernel.events import publish
from kernel.japan import normalize_phone

from . import domain_events
from .consent import consent_grid
from .errors import CustomerAlreadyMerged, MergeCustomerErased, MergeCustomerNotFound, MergeSameCustomer
from .identities import SOURCE_PROFILE, identities_sync_contact
from .models import (
    ConsentRecord,
    Customer,
    CustomerEvent,
    CustomerMerge,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateScan,
    DuplicateStatus,
    Identity,
    IdentityKind,
)

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
DUPLICATE_GROUP_LIMIT = 10  # records sharing one key beyond this are not one person
REASON_SCORES = {DuplicateReason.EMAIL: 70, DuplicateReason.NAME_POSTAL: 50, DuplicateReason.PHONE: 40}
MERGE_SOURCE = "merge"
SCAN_STALE_AFTER = timedelta(hours=2)  # a scan "running" longer than this died with its worker


# --- keys ----------------------------------------------------------------------------------

def email_key(value: str | None) -> str:
    """The mailbox an address reaches, as detection compares it (see the module's docstring)."""
    email = (value or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return ""
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "").split("+", 1)[0]
        domain = "gmail.com"
    return f"{local}@{domain}"


def phone_key(value: str | None) -> str:
    digits = normalize_phone(value or "")
    return digits if 10 <= len(digits) <= 11 else ""


def _email_key_sql(field: str):
    """``email_key`` as an SQL expression over ``field`` (portable: SQLite and PostgreSQL)."""
    email = Lower(Trim(F(field)))
    at = StrIndex(email, Value("@"))
    local = Substr(email, 1, at - 1)
    domain = Substr(email, at + 1)
    bare = Replace(local, Value("."), Value(""))
    plus = StrIndex(bare, Value("+"))
    gmail_local = Case(When(Q(_plus__gt=0), then=Substr(bare, 1, F("_plus") - 1)), default=bare)
    return {
        "_email": email, "_at": at, "_domain": domain, "_bare": bare, "_plus": plus,
        "dkey": Case(When(Q(_domain__in=GMAIL_DOMAINS), then=Concat(gmail_local, Value("@gmail.com"))),
                    default=F("_email"), output_field=models.CharField()),
    }


def _keys_sql(reason: str) -> tuple[str, list]:
    """SQL (and params) of ``(cid, key)`` rows for one rule: every customer and identity key."""
    if reason == DuplicateReason.EMAIL:
        own = (Customer.objects.filter(email__contains="@").annotate(**_email_key_sql("email"))
               .annotate(cid=F("id")).values("cid", "dkey").order_by())
        known = (Identity.objects.filter(kind=IdentityKind.EMAIL, value__contains="@")
                 .annotate(**_email_key_sql("value")).annotate(cid=F("customer_id")).values("cid", "dkey").order_by())
        queryset = own.union(known, all=True)
    elif reason == DuplicateReason.PHONE:
        own = (Customer.objects.annotate(dkey=F("phone_digits"), cid=F("id"), n=Length("phone_digits"))
               .filter(n__gte=10, n__lte=11).values("cid", "dkey").order_by())
        known = (Identity.objects.filter(kind=IdentityKind.PHONE)
                 .annotate(dkey=F("value"), cid=F("customer_id"), n=Length("value"))
                 .filter(n__gte=10, n__lte=11).values("cid", "dkey").order_by())
        queryset = own.union(known, all=True)
    else:
        postal = Replace(Trim(F("postal_code")), Value("-"), Value(""))
        kanji = (Customer.objects.exclude(name_key="").annotate(p=postal, pn=Length(postal)).filter(pn=7)
                 .annotate(cid=F("id"), dkey=Concat(F("name_key"), Value("|"), F("p"),
                                                   output_field=models.CharField()))
                 .values("cid", "dkey").order_by())
        kana = (Customer.objects.exclude(kana_key="").annotate(p=postal, pn=Length(postal)).filter(pn=7)
                .annotate(cid=F("id"), dkey=Concat(F("kana_key"), Value("|"), F("p"),
                                                  output_field=models.CharField()))
                .values("cid", "dkey").order_by())
        queryset = kanji.union(kana, all=True)
    return queryset.order_by().query.get_compiler(connection=connection).as_sql()


def duplicate_pairs(reason: str) -> set[tuple[int, int]]:
    """``(lower id, higher id)`` of every two customers sharing a key of rule ``reason``: one
    self-join in SQL, keys shared by more than ``DUPLICATE_GROUP_LIMIT`` customers left out."""
    keys_sql, params = _keys_sql(reason)
    # keys_sql is the ORM's own compiled SQL; every value in it and here is a parameter
    sql = f"""
        WITH k AS ({keys_sql}),
             g AS (SELECT dkey FROM k GROUP BY dkey HAVING COUNT(DISTINCT cid) BETWEEN 2 AND %s)
        SELECT DISTINCT a.cid, b.cid
        FROM k a JOIN g ON g.dkey = a.dkey JOIN k b ON b.dkey = a.dkey AND a.cid < b.cid
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, DUPLICATE_GROUP_LIMIT])
        return {(int(low), int(high)) for low, high in cursor.fetchall()}


def pair_score(reasons) -> int:
    return min(100, sum(REASON_SCORES.get(reason, 0) for reason in reasons))


# --- the scan (django-q2: daily schedule and on demand) -------------------------------------

RULES = (DuplicateReason.EMAIL, DuplicateReason.PHONE, DuplicateReason.NAME_POSTAL)


def duplicates_scan(*, scan: DuplicateScan | None = None) -> DuplicateScan:
    """Find every pair of likely duplicates and bring the review queue up to date: new pairs
    are added (open), open pairs get their current reasons and score, open pairs that no longer
    match are removed; dismissed and merged pairs are never proposed again. Progress is saved
    on ``scan`` after each rule (the console polls it)."""
    scan = scan or DuplicateScan.objects.create()
    found: dict[tuple[int, int], set[str]] = {}
    for step, reason in enumerate(RULES, start=1):
        for pair in duplicate_pairs(reason):
            found.setdefault(pair, set()).add(str(reason))
        DuplicateScan.objects.filter(pk=scan.pk).update(steps_done=step)
    with transaction.atomic():
        # every pair ever proposed (reviewed ones included): no IN list of the found pairs, which
        # could pass SQLite's limit of parameters; statuses are re-checked by the writes below
        existing = {(low, high): (pk, status, reasons) for pk, low, high, status, reasons in
                    DuplicateCandidate.objects.values_list("pk", "low_pk", "high_pk", "status", "reasons")}
        new, changed = [], []
        for (low, high), reasons in found.items():
            ordered = sorted(reasons)
            known = existing.get((low, high))
            if known is None:
                new.append(DuplicateCandidate(low_pk=low, high_pk=high, customer_low_id=low, customer_high_id=high,
                                              reasons=ordered, score=pair_score(ordered)))
            elif known[1] == DuplicateStatus.OPEN and known[2] != ordered:
                changed.append(DuplicateCandidate(pk=known[0], reasons=ordered, score=pair_score(ordered)))
        gone = [pk for key, (pk, status, _reasons) in existing.items()
                if status == DuplicateStatus.OPEN and key not in found]
        # ignore_conflicts: a pair reviewed while this scan ran keeps its review
        DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        for start in range(0, len(changed), 500):
            for candidate in changed[start:start + 500]:
                DuplicateCandidate.objects.filter(pk=candidate.pk, status=DuplicateStatus.OPEN).update(
                    reasons=candidate.reasons, score=candidate.score)
        for start in range(0, len(gone), 500):
            DuplicateCandidate.objects.filter(pk__in=gone[start:start + 500], status=DuplicateStatus.OPEN).delete()
        DuplicateScan.objects.filter(pk=scan.pk).update(finished_at=timezone.now(), pairs_found=len(found),
                                                        pairs_new=len(new), steps_done=len(RULES))
    scan.refresh_from_db()
    return scan


def duplicates_scan_task(scan_id: int | None = None) -> int:
    """The django-q2 job (scheduled daily, see customers.apps, and queued from the console):
    run the scan recorded as ``scan_id`` (or a new one). Safe to run twice: the queue ends the same."""
    scan = DuplicateScan.objects.filter(pk=scan_id).first() if scan_id else None
    if scan is not None and scan.finished_at is not None:
        return scan.pairs_new
    try:
        return duplicates_scan(scan=scan).pairs_new
    except Exception as exc:
        if scan is not None:
            DuplicateScan.objects.filter(pk=scan.pk).update(finished_at=timezone.now(), error=str(exc)[:2000])
        raise


@transaction.atomic
def duplicates_scan_request(*, acting_user) -> DuplicateScan:
    """Queue a scan now (the console's button); a scan already running is returned instead."""
    from django_q.tasks import async_task

    running = DuplicateScan.objects.filter(finished_at__isnull=True,
                                           started_at__gte=timezone.now() - SCAN_STALE_AFTER).first()
    if running is not None:
        return running
    scan = DuplicateScan.objects.create(requested_by=acting_user)
    audit_record(actor=acting_user, action="duplicates_scan", obj=scan)
    transaction.on_commit(lambda: async_task("customers.merge.duplicates_scan_task", scan.pk,
                                             task_name=f"duplicates-scan-{scan.pk}"))
    return scan


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, acting_user) -> DuplicateCandidate:
    """Staff say the pair are two different people: it leaves the queue and is never proposed
    again. Refused (409) for a pair already merged."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status == DuplicateStatus.MERGED:
        raise CustomerAlreadyMerged(_("These customers were already merged."), merged_pk=candidate.high_pk,
                                    survivor_pk=candidate.low_pk, field="candidate")
    if candidate.status == DuplicateStatus.DISMISSED:
        return candidate
    candidate.status = DuplicateStatus.DISMISSED
    candidate.reviewed_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    candidate.reviewed_at = timezone.now()
    candidate.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(actor=acting_user, action="duplicate_dismiss", obj=candidate,
                 changes={"customers": [candidate.low_pk, candidate.high_pk], "reasons": candidate.reasons})
    return candidate


# --- the merge -------------------------------------------------------------------------------

# Profile fields the merged record may fill on the survivor where the survivor has nothing.
# The address is one block: taken whole, or not at all (never a postal code from one address
# with the street of another).
FILL_FIELDS = ("given_name", "family_name_kana", "given_name_kana", "favourite_location", "preferred_size",
               "birthday", "gender", "language", "preferred_channel")
ADDRESS_FIELDS = ("postal_code", "prefecture", "city", "address")
SNAPSHOT_FIELDS = ("email", "family_name", "given_name", "family_name_kana", "given_name_kana", "phone",
                   *ADDRESS_FIELDS, "favourite_location", "preferred_size", "birthday", "gender", "language",
                   "preferred_channel", "sizes", "interests", "created_at")


def merged_customer(pk: int) -> CustomerMerge | None:
    """The merge that removed customer ``pk``, or None (it was never merged)."""
    return CustomerMerge.objects.filter(merged_pk=pk).first()


def customer_for_merge(pk, *, field: str = "merged", for_update: bool = False) -> Customer:
    """Customer ``pk`` or the error naming ``field``: unknown (404) or merged before (409)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise MergeCustomerNotFound(_("Customer #%(id)s does not exist.") % {"id": pk}, field=field) from None
    queryset = Customer.objects.select_for_update() if for_update else Customer.objects
    customer = queryset.filter(pk=pk).first()
    if customer is not None:
        return customer
    merge = merged_customer(pk)
    if merge is not None:
        raise CustomerAlreadyMerged(
            _("Customer #%(id)s was already merged into customer #%(survivor)s on %(date)s.")
            % {"id": pk, "survivor": merge.survivor_id or merge.survivor_pk,
               "date": timezone.localtime(merge.created_at).strftime("%Y-%m-%d")},
            merged_pk=pk, survivor_pk=merge.survivor_id or merge.survivor_pk, field=field)
    raise MergeCustomerNotFound(_("Customer #%(id)s does not exist.") % {"id": pk}, field=field)


@transaction.atomic
def customer_merge(*, survivor: Customer, merged: Customer, acting_user, reason: str = "") -> CustomerMerge:
    """Make two customer records one: everything of ``merged`` (orders, events, consent ledger,
    identities, cart, account, earlier merges, and any other row that points at a customer) moves
    to ``survivor``, empty profile fields of the survivor are filled from it (never overwritten),
    the merge is recorded (``CustomerMerge``, the audit trail, ``customers.customer_merged``) and
    the ``merged`` record is deleted. One transaction: on any error nothing has moved.

    Consent: the ledger rows move as they are (source, time, who), so the survivor's consent per
    channel and purpose is the latest explicit decision of either record; no row is written.
    Raises MergeSameCustomer (400), MergeCustomerNotFound (404), CustomerAlreadyMerged (409)."""
    if survivor.pk == merged.pk:
        raise MergeSameCustomer(_("A customer cannot be merged with itself."))
    # lock both rows, lower id first (two merges of the same pair queue instead of deadlocking)
    locked = {}
    for pk, field in sorted([(survivor.pk, "survivor"), (merged.pk, "merged")]):
        locked[field] = customer_for_merge(pk, field=field, for_update=True)
    survivor, merged = locked["survivor"], locked["merged"]
    for field, record in (("survivor", survivor), ("merged", merged)):
        if record.erased_at:  # its personal data is gone on request: nothing may be put back on it
            raise MergeCustomerErased(_("Customer #%(id)s was erased on request and cannot be merged.")
                                      % {"id": record.pk}, field=field)
    snapshot = _snapshot(merged)
    moved: dict[str, int | str] = {}

    moved["orders"] = merged.orders.update(customer=survivor)
    # The event stream and the consent ledger are append-only: their rows are never edited
    # through save(). Moving them to the survivor changes whose stream a row belongs to, not what
    # happened, when, where or by whom, and it is the same person: a queryset update keeps each
    # row (its id, time, source) exactly as written, where copies would break references to it.
    moved["events"] = CustomerEvent.objects.filter(customer=merged).update(customer=survivor)
    moved["consent_records"] = ConsentRecord.objects.filter(customer=merged).update(customer=survivor)
    moved.update(_move_identities(survivor, merged))
    moved.update(_move_cart(survivor, merged))
    moved["merges"] = CustomerMerge.objects.filter(survivor=merged).update(survivor=survivor)
    moved.update(_move_other_rows(survivor, merged))
    account = _merge_accounts(survivor, merged)
    filled = _fill_profile(survivor, merged)
    extra_identities = _keep_merged_keys(survivor, merged, account)
    moved["identities"] += extra_identities

    merged_pk = merged.pk
    merged.delete()
    survivor.save()
    _identity_for_own_email(survivor)
    identities_sync_contact(customer=survivor, acting_user=acting_user, strict=False)
    record = CustomerMerge.objects.create(
        survivor=survivor, survivor_pk=survivor.pk, merged_pk=merged_pk, merged_name=snapshot["name"][:130],
        merged_snapshot=snapshot, moved={**moved, **({"account": account} if account else {})}, filled=filled,
        consents=consent_provenance(customer=survivor), reason=(reason or "").strip()[:300], acting_user=acting_user)
    _candidates_after_merge(survivor.pk, merged_pk, record, acting_user)
    audit_record(actor=acting_user, action="customer_merge", obj=survivor,
                 changes={"merged": merged_pk, "moved": record.moved, "filled": sorted(filled),
                          "reason": record.reason})
    publish(domain_events.CUSTOMER_MERGED, subject=f"customer:{survivor.pk}", actor=acting_user,
            payload=domain_events.CustomerMerged(survivor_id=survivor.pk, merged_id=merged_pk, merge_id=record.pk,
                                                 moved={k: v for k, v in record.moved.items()
                                                        if isinstance(v, int)}))
    return record


def _snapshot(customer: Customer) -> dict:
    values = audit_values(customer, SNAPSHOT_FIELDS)
    return {
        "id": customer.pk,
        "name": customer.full_name or (customer.email or f"#{customer.pk}"),
        "name_kana": customer.full_name_kana,
        **{key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in values.items()},
        "user": customer.user_id,
        "identities": [[kind, value] for kind, value in customer.identities.values_list("kind", "value")],
    }


def _move_identities(survivor: Customer, merged: Customer) -> dict[str, int]:
    """Identities move; one the survivor already holds (same kind and value) is dropped. (The
    database keeps (kind, value) unique across customers, so that is a guard, not a usual case.)"""
    held = Identity.objects.filter(customer=survivor, kind=OuterRef("kind"), value=OuterRef("value"))
    same = merged.identities.filter(Exists(held))
    dropped = same.count()
    if dropped:
        same.delete()
    # the merged record's own email and phone are no longer a profile's: they stay as the
    # person's other keys (a profile sync of the survivor must not drop them)
    merged.identities.filter(source=SOURCE_PROFILE).update(source=MERGE_SOURCE)
    return {"identities": merged.identities.update(customer=survivor), "identities_dropped": dropped}


def _move_cart(survivor: Customer, merged: Customer) -> dict[str, int | str]:
    """One cart per customer (``orders.Cart``, read through the reverse relation): the merged
    cart is taken over when the survivor has none; otherwise its lines join the survivor's cart,
    an item in both keeping the larger quantity (as when a guest cart joins on sign-in), up to
    the cart's limit of different items."""
    relation = Customer._meta.get_field("cart")
    Cart = relation.related_model
    theirs = Cart.objects.select_for_update().filter(customer=merged).first()
    if theirs is None:
        return {}
    mine = Cart.objects.select_for_update().filter(customer=survivor).first()
    if mine is None:
        Cart.objects.filter(pk=theirs.pk).update(customer=survivor)
        return {"cart": "moved", "cart_lines": theirs.lines.count()}
    existing = dict(mine.lines.values_list("sku", "quantity"))
    room = settings.CART_MAX_LINES - len(existing)
    to_move, raised = [], 0
    for line in theirs.lines.order_by("added_at", "id"):
        if line.sku in existing:
            if line.quantity > existing[line.sku]:
                raised += mine.lines.filter(sku=line.sku).update(quantity=line.quantity)
        elif room > 0:
            room -= 1
            to_move.append(line.pk)
    moved = theirs.lines.filter(pk__in=to_move).update(cart=mine)
    Cart.objects.filter(pk=theirs.pk).delete()
    Cart.objects.filter(pk=mine.pk).update(updated_at=timezone.now())
    return {"cart": "combined", "cart_lines": moved + raised}


# Rows handled by name above, or kept with their own ids (the review queue).
_HANDLED = {"orders", "events", "consent_records", "identities", "cart", "merges"}


def _other_relations():
    """``(model, field name, one per customer)`` of every other table pointing at a customer,
    many-to-many tables included (their through rows)."""
    for relation in Customer._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        model = relation.related_model
        if model in (Customer, DuplicateCandidate) or relation.get_accessor_name() in _HANDLED:
            continue
        if relation.many_to_many:
            through = relation.through
            if through is None or not through._meta.auto_created:
                continue  # an explicit through model has its own foreign key: seen as one-to-many
            yield through, relation.field.m2m_reverse_field_name(), False
        elif relation.one_to_many or relation.one_to_one:
            yield model, relation.field.name, relation.one_to_one


def _move_other_rows(survivor: Customer, merged: Customer) -> dict[str, int]:
    """Any other table pointing at a customer (added by another part of the system: addresses,
    scores, static lists...) follows the person too. A row that would break a uniqueness rule on
    the survivor (a one-per-customer row the survivor already has, a list it is already on)
    stays and goes with the merged record; those are counted as ``<model>_dropped``."""
    moved: dict[str, int] = {}
    for model, field, one_per_customer in _other_relations():
        label = model._meta.label_lower
        rows = model._base_manager.filter(**{field: merged})
        if one_per_customer and model._base_manager.filter(**{field: survivor}).exists():
            count = rows.count()
            if count:
                moved[f"{label}_dropped"] = count
            continue
        try:
            with transaction.atomic():
                count = rows.update(**{field: survivor})
        except IntegrityError:
            count = 0
            for pk in list(rows.values_list("pk", flat=True)):
                try:
                    with transaction.atomic():
                        count += model._base_manager.filter(pk=pk).update(**{field: survivor})
                except IntegrityError:
                    moved[f"{label}_dropped"] = moved.get(f"{label}_dropped", 0) + 1
        if count:
            moved[label] = count
    return moved


def _merge_accounts(survivor: Customer, merged: Customer) -> str:
    """Both have an account: the survivor's login stays; the merged account is closed (inactive,
    no password, its API tokens deleted) and its email freed. Only the merged record has one: it
    moves to the survivor, whose email becomes that login (the two stay equal)."""
    if not merged.user_id:
        return ""
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=merged.user_id)
    if survivor.user_id:
        user.is_active = False
        user.email = f"merged-{user.pk}@merged.invalid"  # .invalid never delivers (RFC 2606)
        user.set_unusable_password()  # also ends its sessions (their hash no longer matches)
        user.save(update_fields=["is_active", "email", "password"])
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=user).delete()
        Customer.objects.filter(pk=merged.pk).update(user=None)
        merged.user = None
        return "closed"
    Customer.objects.filter(pk=merged.pk).update(user=None)
    merged.user = None
    survivor.user = user
    return "moved"


def _fill_profile(survivor: Customer, merged: Customer) -> dict:
    """Fill the survivor's empty profile fields from the merged record; never overwrite."""
    filled: dict = {}
    for name in FILL_FIELDS:
        attname = Customer._meta.get_field(name).attname
        if not getattr(survivor, attname) and getattr(merged, attname):
            setattr(survivor, attname, getattr(merged, attname))
            filled[name] = getattr(merged, attname)
    if not survivor.phone and merged.phone:
        survivor.phone = filled["phone"] = merged.phone
    if not any(getattr(survivor, name) for name in ADDRESS_FIELDS) and any(getattr(merged, n) for n in ADDRESS_FIELDS):
        for name in ADDRESS_FIELDS:
            setattr(survivor, name, getattr(merged, name))
            filled[name] = getattr(merged, name)
    sizes = {kind: size for kind, size in (merged.sizes or {}).items() if kind not in (survivor.sizes or {})}
    if sizes:
        survivor.sizes = {**(survivor.sizes or {}), **sizes}
        filled["sizes"] = sizes
    interests = [tag for tag in (merged.interests or []) if tag not in (survivor.interests or [])]
    if interests:
        survivor.interests = [*(survivor.interests or []), *interests]
        filled["interests"] = interests
    return {key: (value.isoformat() if hasattr(value, "isoformat") else getattr(value, "pk", value))
            for key, value in filled.items()}


def _keep_merged_keys(survivor: Customer, merged: Customer, account: str) -> int:
    """The merged record's email and phone stay keys of the person: the survivor's email when it
    has none (or the moved account's login, which the customer's email must equal), else an
    identity, so a later order or sign-in with them finds the survivor."""
    keys: list[tuple[str, str]] = []
    if account == "moved" and survivor.user.email != survivor.email:
        if survivor.email:
            keys.append((IdentityKind.EMAIL, survivor.email))
        survivor.email = survivor.user.email
    elif merged.email and not survivor.email:
        survivor.email = merged.email
    if merged.email and email_key(merged.email) != email_key(survivor.email):
        keys.append((IdentityKind.EMAIL, merged.email))
    if merged.phone and phone_key(merged.phone) and phone_key(merged.phone) != phone_key(survivor.phone):
        keys.append((IdentityKind.PHONE, merged.phone))
    created = 0
    for kind, value in keys:
        value = value.strip().lower() if kind == IdentityKind.EMAIL else phone_key(value)
        if not Identity.objects.filter(kind=kind, value=value).exists():
            Identity.objects.create(customer=survivor, kind=kind, value=value, source=MERGE_SOURCE)
            created += 1
    return created


def _identity_for_own_email(survivor: Customer) -> None:
    """The survivor's email and phone identities follow its profile after the merge: one equal to
    its own email or phone is the profile's, an earlier profile value is kept as a key of the
    person (source ``merge``), so the profile sync that follows drops neither."""
    own = {IdentityKind.EMAIL: (survivor.email or "").strip().lower(), IdentityKind.PHONE: survivor.phone_digits}
    for kind, value in own.items():
        survivor.identities.filter(kind=kind, source=SOURCE_PROFILE).exclude(value=value).update(source=MERGE_SOURCE)
        if value:
            survivor.identities.filter(kind=kind, value=value).update(source=SOURCE_PROFILE)


def _candidates_after_merge(survivor_pk: int, merged_pk: int, record: CustomerMerge, acting_user) -> None:
    """The reviewed pair becomes "merged"; the merged record's other open pairs leave the queue
    (the next scan proposes them again against the survivor if they still match), and a pair
    someone dismissed stays dismissed for the survivor: "not the same person" holds for both."""
    low, high = sorted((survivor_pk, merged_pk))
    now = timezone.now()
    reviewer = acting_user if getattr(acting_user, "is_authenticated", False) else None
    pair, _created = DuplicateCandidate.objects.get_or_create(
        low_pk=low, high_pk=high, defaults={"reasons": [], "score": 0})
    pair.status, pair.reviewed_by, pair.reviewed_at, pair.merge = DuplicateStatus.MERGED, reviewer, now, record
    pair.customer_low_id = pair.customer_high_id = None
    if low == survivor_pk:
        pair.customer_low_id = survivor_pk
    else:
        pair.customer_high_id = survivor_pk
    pair.save()
    others = DuplicateCandidate.objects.filter(Q(low_pk=merged_pk) | Q(high_pk=merged_pk)).exclude(pk=pair.pk)
    others.filter(status=DuplicateStatus.OPEN).delete()
    for dismissed in others.filter(status=DuplicateStatus.DISMISSED):
        other = dismissed.high_pk if dismissed.low_pk == merged_pk else dismissed.low_pk
        if other == survivor_pk:
            continue
        a, b = sorted((survivor_pk, other))
        DuplicateCandidate.objects.update_or_create(
            low_pk=a, high_pk=b,
            defaults={"customer_low_id": a if Customer.objects.filter(pk=a).exists() else None,
                      "customer_high_id": b if Customer.objects.filter(pk=b).exists() else None,
                      "reasons": dismissed.reasons, "score": dismissed.score, "status": DuplicateStatus.DISMISSED,
                      "reviewed_by": dismissed.reviewed_by, "reviewed_at": dismissed.reviewed_at})


# --- reads -----------------------------------------------------------------------------------

def consent_provenance(*, customer: Customer) -> dict[str, dict]:
    """Per ``channel/purpose``, the ledger row that decides the customer's consent now
    (``customers.consent.consent_grid``): granted, source, time, who, row id."""
    return {f"{channel}/{purpose}": {"granted": record.granted, "source": record.source,
                                     "at": record.created_at.isoformat(), "record": record.pk,
                                     "by": record.acting_user_id}
            for (channel, purpose), record in consent_grid(customer=customer).items() if record is not None}


def duplicates_open(*, limit: int | None = None):
    """Open pairs whose two records both still exist, surest first, customers joined."""
    queryset = (DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN, customer_low__isnull=False,
                                                  customer_high__isnull=False)
                .select_related("customer_low__favourite_location", "customer_high__favourite_location").order_by("-score", "low_pk", "high_pk"))
    return queryset[:limit] if limit else queryset


def customers_compared(customers: list[Customer]) -> dict[int, dict]:
    """What staff compare side by side, for many customers in a constant number of queries:
    orders count and last order (through the reverse relation: customers cannot import orders),
    events count, identities, consent state per channel and purpose, account, favourite store."""
    ids = [c.pk for c in customers]
    facts: dict[int, dict] = {pk: {"orders": 0, "last_order": None, "events": 0, "identities": [], "consent": {},
                                   "favourite": ""} for pk in ids}
    order_model = Customer._meta.get_field("orders").related_model
    for row in (order_model.objects.filter(customer_id__in=ids).values("customer_id")
                .annotate(n=Count("id"), last=Max("created_at"))):
        facts[row["customer_id"]].update(orders=row["n"], last_order=row["last"])
    for row in CustomerEvent.objects.filter(customer_id__in=ids).values("customer_id").annotate(n=Count("id")):
        facts[row["customer_id"]]["events"] = row["n"]
    for identity in Identity.objects.filter(customer_id__in=ids).order_by("kind", "id"):
        facts[identity.customer_id]["identities"].append(identity)
    latest = (ConsentRecord.objects.filter(customer_id=OuterRef("customer_id"), channel=OuterRef("channel"),
                                           purpose=OuterRef("purpose")).order_by("-created_at", "-id").values("id")[:1])
    deciding = ConsentRecord.objects.filter(customer_id__in=ids).annotate(last=Subquery(latest)).filter(id=F("last"))
    for record in deciding.order_by("channel", "purpose"):
        facts[record.customer_id]["consent"][(record.channel, record.purpose)] = record
    for customer in customers:
        fav = customer.favourite_location
        facts[customer.pk]["favourite"] = fav.name if fav else ""
    return facts


def customer_merges(*, customer: Customer) -> list[CustomerMerge]:
    """The merges that made this record (newest first), for "merged from ..." on its page."""
    return list(customer.merges.select_related("acting_user").order_by("-created_at", "-id"))


def scan_latest() -> DuplicateScan | None:
    return DuplicateScan.objects.select_related("requested_by").order_by("-started_at", "-id").first()

