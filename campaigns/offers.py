"""Offers and codes: the services that define offers and make their codes, the check a code
typed online or at the till goes through, and ``OfferDiscounts``, the discount provider
``orders`` calls through its hook (``orders.discounts``; campaigns registers it on its AppConfig,
orders never imports this module).

Decisions worth knowing:

- **Codes** are stored normalised (``code_normalise``: NFKC, upper case, no hyphens or spaces),
  so ``spring-10``, ``ＳＰＲＩＮＧ１０`` and ``SPRING 10`` are one code. Single-use codes are
  ``[prefix] + 12`` symbols drawn with ``secrets`` from an alphabet without look-alikes (no
  0/O, 1/I, 2/Z, 5/S, 8/B; the campaign codes' alphabet): 26^12 ≈ 9.5·10^16 codes, so with
  500,000 issued a guess hits one in about 190 billion tries. The export prints them in groups of four.
- **Automatic offers** (``Offer.automatic``): an active offer marked "applies without a code"
  applies to every order meeting its conditions (dates, channel, segment, minimum spend,
  categories, budget, per-customer limit), silently skipped when one fails. An offer is either
  automatic or has codes, never both: an offer being prepared for codes never leaks to every
  order while its codes are generated.
- **Stacking**: each code applies once per order and one offer once per order; codes apply in
  the order typed, then automatic offers, each on what the earlier ones left of every line.
- **Usage** is counted in the order's transaction by conditional UPDATEs (``uses < max_uses``,
  ``spent + amount <= budget``) and, for per-customer limits, a count under the customer's row
  lock: the last use of a code goes to exactly one of two racing tills.
- **Conversion**: each use is a ``Redemption`` row carrying the offer's campaign (the campaign's
  conversions) and a ``coupon_redeemed`` event on the customer's timeline.
"""

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kernel.audit import audit_record
from kernel.models import Channel, ChannelKind, Location
from kernel.subjects import order_subject
from orders.discounts import (
    AppliedOffer,
    DiscountContext,
    DiscountRefused,
    DiscountResult,
    LineDiscount,
    PricedLine,
    RefusedCode,
)

from .models import CAMPAIGN_CODE_ALPHABET, CampaignStatus
from .models_offers import BatchStatus, CodeBatch, CodeKind, Offer, OfferCode, OfferKind, Redemption

PROVIDER_NAME = "offers"
CODE_ALPHABET = CAMPAIGN_CODE_ALPHABET
CODE_RANDOM_LENGTH = 12
CODE_PREFIX_MAX = 8
GENERATE_CHUNK = 5000
BATCH_MAX = 1_000_000
SHARED_CODE_RE = re.compile(r"^[A-Z0-9]{4,32}$")
# hyphens, dashes and the katakana long vowel mark people type for a hyphen
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー−ｰ]+")

REASONS = ("unknown", "expired", "not_started", "exhausted", "already_used", "wrong_channel", "min_spend",
           "not_eligible", "budget_spent", "customer_limit")

# What the audit trail calls these services' writes (the lead adds it to CampaignsConfig.audit_actions).
OFFER_AUDIT_ACTIONS = {
    "offer_create": gettext_lazy("Offer created"),
    "offer_update": gettext_lazy("Offer edited"),
    "code_create_shared": gettext_lazy("Shared code created"),
    "codes_generate": gettext_lazy("Single-use codes generated"),
    "codes_export": gettext_lazy("Offer codes exported"),
}


# --- codes --------------------------------------------------------------------------------

def code_normalise(code: str) -> str:
    """A code as stored: NFKC (full-width letters and digits), upper case, no hyphens or spaces."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", code or "")).upper()


def code_printed(code: str) -> str:
    """A code in groups of four for print (``ABCD-EFGH-JKLM``); typing it either way works."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def new_code(prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))


# --- offers -------------------------------------------------------------------------------

OFFER_FIELDS = ("name", "kind", "value", "buy_quantity", "get_quantity", "min_spend", "categories", "segment",
                "channel_kinds", "starts_at", "ends_at", "per_customer_limit", "budget", "automatic", "campaign",
                "is_active")
# Once an offer has been used, what it gives is on receipts: these stay.
FROZEN_AFTER_USE = ("kind", "value", "buy_quantity", "get_quantity")


def _offer_errors(offer: Offer) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    offer.name = (offer.name or "").strip()
    if not offer.name:
        add("name", _("Give the offer a name."))
    if offer.kind not in OfferKind.values:
        add("kind", _("Choose a kind of offer."))
    elif offer.kind == OfferKind.PERCENT and not 1 <= (offer.value or 0) <= 100:
        add("value", _("A percentage is between 1 and 100."))
    elif offer.kind == OfferKind.FIXED and (offer.value or 0) < 1:
        add("value", _("Give the amount off in yen (at least 1)."))
    elif offer.kind == OfferKind.BUY_X_GET_Y:
        if (offer.buy_quantity or 0) < 1:
            add("buy_quantity", _("Customers buy at least one item."))
        if (offer.get_quantity or 0) < 1:
            add("get_quantity", _("At least one item is free."))
    if offer.kind in (OfferKind.FREE_SHIPPING, OfferKind.BUY_X_GET_Y):
        offer.value = 0
    if offer.starts_at and offer.ends_at and offer.ends_at <= offer.starts_at:
        add("ends_at", _("The end must be after the start."))
    if not isinstance(offer.categories, list) or not all(isinstance(c, str) for c in offer.categories):
        add("categories", _("Give a list of product categories."))
    else:
        offer.categories = sorted({c.strip() for c in offer.categories if c.strip()})
    if not isinstance(offer.channel_kinds, list) or any(k not in ChannelKind.values for k in offer.channel_kinds):
        add("channel_kinds", _("Choose among the channel kinds: %(kinds)s.") % {
            "kinds": ", ".join(ChannelKind.values)})
    else:
        offer.channel_kinds = sorted(set(offer.channel_kinds))
    if offer.per_customer_limit is not None and offer.per_customer_limit < 1:
        add("per_customer_limit", _("At least one use per customer, or empty for no limit."))
    if offer.budget is not None and offer.budget < 1:
        add("budget", _("Give a budget in yen, or leave it empty."))
    elif offer.budget is not None and offer.spent > offer.budget:
        add("budget", _("¥%(spent)s has already been given: the budget cannot be lower.") % {
            "spent": f"{offer.spent:,}"})
    if offer.automatic and offer.pk and offer.codes.exists():
        add("automatic", _("This offer has codes: it cannot also apply without one."))
    return errors


@transaction.atomic
def offer_create(*, acting_user, name: str, kind: str, value: int = 0, **fields) -> Offer:
    """Define an offer; raise ValidationError naming each bad field."""
    unknown = set(fields) - set(OFFER_FIELDS)
    if unknown:
        raise ValidationError({name_: [_("Unknown field.")] for name_ in sorted(unknown)})
    offer = Offer(name=name, kind=kind, value=value or 0, created_by=acting_user, **fields)
    errors = _offer_errors(offer)
    if errors:
        raise ValidationError(errors)
    offer.save()
    audit_record(actor=acting_user, action="offer_create", obj=offer,
                 changes={"kind": offer.kind, "value": offer.value, "campaign": offer.campaign_id})
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, acting_user, **fields) -> Offer:
    """Change the fields given; what an offer gives cannot change once it has been used."""
    unknown = set(fields) - set(OFFER_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    before = {name: getattr(offer, name) for name in fields}
    errors: dict[str, list[str]] = {}
    if offer.redeemed:
        for name in FROZEN_AFTER_USE:
            if name in fields and fields[name] != getattr(offer, name):
                errors[name] = [_("The offer has been used: what it gives can no longer change.")]
    for name, value in fields.items():
        setattr(offer, name, value)
    errors = {**_offer_errors(offer), **errors}
    if errors:
        raise ValidationError(errors)
    offer.save()
    changes = {name: [str(before[name]), str(getattr(offer, name))] for name in fields
               if before[name] != getattr(offer, name)}
    audit_record(actor=acting_user, action="offer_update", obj=offer, changes=changes)
    return offer


@transaction.atomic
def code_create_shared(*, offer: Offer, code: str, max_uses: int | None = None, customer=None,
                       acting_user) -> OfferCode:
    """One code many customers type (``SPRING10``), optionally limited to ``max_uses`` in all."""
    normalised = code_normalise(code)
    if offer.automatic:
        raise ValidationError({"code": [_("This offer applies without a code.")]})
    if not SHARED_CODE_RE.match(normalised):
        raise ValidationError({"code": [_("A code is 4 to 32 letters and digits.")]})
    if max_uses is not None and max_uses < 1:
        raise ValidationError({"max_uses": [_("At least one use, or empty for no limit.")]})
    if OfferCode.objects.filter(code=normalised).exists():
        raise ValidationError({"code": [_("This code is already in use.")]})
    try:
        with transaction.atomic():
            made = OfferCode.objects.create(code=normalised, offer=offer, kind=CodeKind.SHARED, max_uses=max_uses,
                                            customer=customer)
    except IntegrityError:  # the same code made at the same moment
        raise ValidationError({"code": [_("This code is already in use.")]}) from None
    audit_record(actor=acting_user, action="code_create_shared", obj=offer,
                 changes={"code": normalised, "max_uses": max_uses})
    return made


@transaction.atomic
def codes_generate(*, offer: Offer, count: int, prefix: str = "", acting_user) -> CodeBatch:
    """Queue a batch of ``count`` single-use codes; a django-q2 job fills it after the commit."""
    prefix = code_normalise(prefix)
    errors: dict[str, list[str]] = {}
    if offer.automatic:
        errors["count"] = [_("This offer applies without a code.")]
    if not isinstance(count, int) or not 1 <= count <= BATCH_MAX:
        errors["count"] = [_("Between 1 and %(max)s codes at a time.") % {"max": f"{BATCH_MAX:,}"}]
    if prefix and not re.fullmatch(f"[A-Z0-9]{{1,{CODE_PREFIX_MAX}}}", prefix):
        errors["prefix"] = [_("A prefix is up to %(n)s letters and digits.") % {"n": CODE_PREFIX_MAX}]
    if errors:
        raise ValidationError(errors)
    batch = CodeBatch.objects.create(offer=offer, count=count, prefix=prefix, requested_by=acting_user)
    audit_record(actor=acting_user, action="codes_generate", obj=offer, changes={"count": count, "prefix": prefix})

    def start():
        from django_q.tasks import async_task

        async_task("campaigns.offers.code_batch_fill", batch.pk, task_name=f"code-batch-{batch.pk}",
                   sync=settings.Q_CLUSTER.get("sync", False))

    transaction.on_commit(start)
    return batch


def code_batch_fill(batch_id: int, *, chunk: int = GENERATE_CHUNK) -> str:
    """The job: insert codes chunk by chunk, each chunk its own transaction under the batch's row
    lock, until the batch holds exactly ``count`` codes. Run again after a crash (or twice at
    once), it counts what is stored and adds only the rest; a code that collides with an existing
    one is skipped by the insert and replaced in the next round."""
    batch = CodeBatch.objects.get(pk=batch_id)
    if batch.status == BatchStatus.DONE:
        return batch.status
    CodeBatch.objects.filter(pk=batch_id).update(status=BatchStatus.RUNNING, error="")
    try:
        while True:
            with transaction.atomic():
                batch = CodeBatch.objects.select_for_update().get(pk=batch_id)
                generated = OfferCode.objects.filter(batch_id=batch_id).count()
                missing = batch.count - generated
                if missing > 0:
                    size = min(chunk, missing)
                    OfferCode.objects.bulk_create(
                        [OfferCode(code=new_code(batch.prefix), offer_id=batch.offer_id, kind=CodeKind.SINGLE_USE,
                                   max_uses=1, batch_id=batch_id) for _ in range(size)],
                        ignore_conflicts=True)
                    generated = OfferCode.objects.filter(batch_id=batch_id).count()
                done = generated >= batch.count
                CodeBatch.objects.filter(pk=batch_id).update(
                    generated=generated, **({"status": BatchStatus.DONE, "finished_at": timezone.now()} if done
                                            else {}))
            if done:
                return BatchStatus.DONE
    except Exception as exc:
        CodeBatch.objects.filter(pk=batch_id).update(status=BatchStatus.FAILED, error=str(exc)[:500])
        raise


EXPORT_CHUNK = 5000


def codes_export(*, offer: Offer, batch: CodeBatch | None = None, acting_user=None) -> Iterator[str]:
    """The codes as CSV for print, streamed: UTF-8 with a BOM (Excel opens it as is), a header,
    one row per code (printed form, code as stored, kind, uses, uses at most, valid until)."""
    audit_record(actor=acting_user, action="codes_export", obj=offer,
                 changes={"batch": batch.pk if batch else None})
    ends = offer.ends_at
    if offer.campaign_id and offer.campaign.ends_at and (ends is None or offer.campaign.ends_at < ends):
        ends = offer.campaign.ends_at
    valid_until = timezone.localtime(ends).strftime("%Y-%m-%d %H:%M") if ends else ""
    kinds = dict(CodeKind.choices)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("Printed code"), pgettext("offer code", "Code"), _("Kind"), _("Uses"), _("Uses at most"),
                         _("Valid until")])
        yield "\ufeff" + buffer.getvalue()
        codes = OfferCode.objects.filter(offer=offer)
        if batch is not None:
            codes = codes.filter(batch=batch)
        last = 0
        while True:  # keyset pages: constant memory over 500,000 codes
            page = list(codes.filter(pk__gt=last).order_by("pk").values_list("pk", "code", "kind", "uses",
                                                                             "max_uses")[:EXPORT_CHUNK])
            if not page:
                return
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for _pk, code, kind, uses, max_uses in page:
                writer.writerow([code_printed(code), code, str(kinds.get(kind, kind)), uses,
                                 "" if max_uses is None else max_uses, valid_until])
            last = page[-1][0]
            yield buffer.getvalue()

    return rows()


# --- checking a code ----------------------------------------------------------------------

def _refused(code: str, reason: str, message: str) -> RefusedCode:
    return RefusedCode(code=code, reason=reason, message=message)


def offer_ends_at(offer: Offer):
    """When the offer ends: its own end or its campaign's, whichever comes first."""
    ends = offer.ends_at
    campaign = offer.campaign if offer.campaign_id else None
    if campaign is not None and campaign.ends_at and (ends is None or campaign.ends_at < ends):
        ends = campaign.ends_at
    return ends


def _is_member(segment_id: int, customer_id: int) -> bool:
    from customers.models import Segment
    from customers.segments import segment_customers

    segment = Segment.objects.get(pk=segment_id)
    return segment_customers(segment).filter(pk=customer_id).exists()


def _offer_refusal(offer: Offer, shown: str, context: DiscountContext, *, code: OfferCode | None = None
                   ) -> RefusedCode | None:
    """Why ``offer`` (through ``code`` when typed) cannot apply now, or None. ``shown``: the code as
    the refusal names it. Checks that need the lines (categories, quantities) are in ``_discount``."""
    at = context.at
    campaign = offer.campaign if offer.campaign_id else None
    if not offer.is_active or (campaign is not None and campaign.status == CampaignStatus.CANCELLED):
        return _refused(shown, "expired", _("The code %(code)s is no longer valid.") % {"code": shown})
    if offer.starts_at and at < offer.starts_at:
        return _refused(shown, "not_started", _("The code %(code)s is valid from %(date)s.") % {
            "code": shown, "date": timezone.localtime(offer.starts_at).strftime("%Y-%m-%d %H:%M")})
    ends = offer_ends_at(offer)
    if ends and at >= ends:
        return _refused(shown, "expired", _("The code %(code)s expired on %(date)s.") % {
            "code": shown, "date": timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")})
    if offer.channel_kinds and context.channel_kind not in offer.channel_kinds:
        labels = dict(ChannelKind.choices)
        message = _("The code %(code)s cannot be used here; it is for: %(where)s.")
        return _refused(shown, "wrong_channel", message % {
            "code": shown, "where": "、".join(str(labels.get(k, k)) for k in offer.channel_kinds)})
    if code is not None:
        if code.max_uses is not None and code.uses >= code.max_uses:
            if code.kind == CodeKind.SINGLE_USE:
                return _refused(shown, "already_used", _("The code %(code)s has already been used.") % {
                    "code": shown})
            return _refused(shown, "exhausted", _("The code %(code)s has been used up.") % {"code": shown})
        if code.customer_id and code.customer_id != context.customer_id:
            return _refused(shown, "not_eligible", _("The code %(code)s belongs to another customer.") % {
                "code": shown})
    if offer.budget is not None and offer.spent >= offer.budget:
        return _refused(shown, "budget_spent", _(
            "The offer of the code %(code)s has ended: its budget is spent.") % {"code": shown})
    if context.subtotal < offer.min_spend:
        return _refused(shown, "min_spend", _("The code %(code)s needs a purchase of at least ¥%(amount)s.") % {
            "code": shown, "amount": f"{offer.min_spend:,}"})
    if offer.segment_id or offer.per_customer_limit:
        if context.customer_id is None:
            return _refused(shown, "not_eligible", _(
                "The code %(code)s is for members: sign in or show your membership card.") % {"code": shown})
        if offer.segment_id and not _is_member(offer.segment_id, context.customer_id):
            return _refused(shown, "not_eligible", _("The code %(code)s is not offered to this customer.") % {
                "code": shown})
        if offer.per_customer_limit and Redemption.objects.filter(
                offer=offer, customer_id=context.customer_id).count() >= offer.per_customer_limit:
            return _refused(shown, "customer_limit", _(
                "The code %(code)s has been used as many times as allowed per customer.") % {"code": shown})
    return None


def _lookup_fields() -> list[str]:
    """The columns a code check reads: the code, its offer, and of the campaign only its end and
    status (the campaign row is wide; the till pays for every column it compiles and reads)."""
    return [*(f.name for f in OfferCode._meta.concrete_fields),
            *(f"offer__{f.name}" for f in Offer._meta.concrete_fields),
            "offer__campaign__ends_at", "offer__campaign__status"]


def _code_lookup(normalised: str) -> OfferCode | None:
    try:
        return OfferCode.objects.select_related("offer", "offer__campaign").only(*_lookup_fields()).get(
            code=normalised)
    except OfferCode.DoesNotExist:
        return None


def code_check(code: str, context: DiscountContext, *, lines: list[PricedLine] | None = None
               ) -> tuple[Offer | None, RefusedCode | None]:
    """Whether ``code`` can be used now in ``context``: ``(offer, None)``, or the offer (None when
    the code is unknown) and the refusal with its reason and message. With ``lines``, the checks
    that need the cart (eligible categories, enough items, a shipping fee) run too."""
    normalised = code_normalise(code)
    found = _code_lookup(normalised) if normalised else None
    if found is None:
        return None, _refused(normalised or code, "unknown", _("%(code)s is not a valid code.") % {
            "code": normalised or code})
    refusal = _offer_refusal(found.offer, normalised, context, code=found)
    if refusal is None and lines is not None:
        outcome = _discount(found.offer, normalised, lines, {i: line.amount for i, line in enumerate(lines)},
                            context)
        if isinstance(outcome, RefusedCode):
            refusal = outcome
    return found.offer, refusal


# --- computing a discount -----------------------------------------------------------------

def spread(amount: int, weights: list[int]) -> list[int]:
    """``amount`` yen over ``weights`` in whole yen by largest remainder (ties: the earlier line)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[:amount - sum(shares)]:
        shares[i] += 1
    return shares


def _discount(offer: Offer, shown: str, lines: list[PricedLine], remaining: dict[int, int],
              context: DiscountContext) -> tuple[dict[int, int], int] | RefusedCode:
    """What ``offer`` takes off each line (index -> yen) given what earlier offers left
    (``remaining``), and off shipping; or why it gives nothing."""
    eligible = [i for i, line in enumerate(lines)
                if remaining.get(i, 0) > 0 and (not offer.categories or line.category in offer.categories)]
    nothing = _refused(shown, "not_eligible", _("The code %(code)s does not apply to these items.") % {
        "code": shown})
    off: dict[int, int] = {}
    shipping = 0
    if offer.kind == OfferKind.FREE_SHIPPING:
        if context.shipping_fee <= 0:
            return _refused(shown, "not_eligible", _("The code %(code)s is for free shipping: this order has "
                                                     "no shipping fee.") % {"code": shown})
        if offer.categories and not eligible:
            return nothing
        shipping = context.shipping_fee
    elif not eligible:
        return nothing
    elif offer.kind in (OfferKind.PERCENT, OfferKind.FIXED):
        base = sum(remaining[i] for i in eligible)
        amount = base * offer.value // 100 if offer.kind == OfferKind.PERCENT else min(offer.value, base)
        off = dict(zip(eligible, spread(amount, [remaining[i] for i in eligible]), strict=True))
    elif offer.kind == OfferKind.BUY_X_GET_Y:
        group = offer.buy_quantity + offer.get_quantity
        units = []  # (unit price still payable, line index) per unit
        for i in eligible:
            line = lines[i]
            left = remaining[i]
            for n in range(line.quantity):  # what is left of the line spread over its units
                units.append((left // line.quantity + (1 if n < left % line.quantity else 0), i))
        free = len(units) // group * offer.get_quantity
        if free == 0:
            return _refused(shown, "not_eligible", _(
                "The code %(code)s needs %(n)s eligible items in the cart.") % {"code": shown, "n": group})
        for price, i in sorted(units, key=lambda u: (u[0], u[1]))[:free]:  # the cheapest units are free
            off[i] = off.get(i, 0) + price
    off = {i: amount for i, amount in off.items() if amount > 0}
    total = sum(off.values()) + shipping
    if total <= 0:
        return nothing
    if offer.budget is not None and offer.spent + total > offer.budget:
        return _refused(shown, "budget_spent", _(
            "The offer of the code %(code)s has ended: its budget is spent.") % {"code": shown})
    return off, shipping


class OfferDiscounts:
    """The discount provider of campaigns' offers (``orders.discounts.DiscountProvider``)."""

    name = PROVIDER_NAME

    def evaluate(self, *, lines: list[PricedLine], context: DiscountContext) -> DiscountResult:
        """What the typed codes and the automatic offers take off now. Reads only."""
        result = DiscountResult(line_discounts=[], applied=[], refused=[])
        remaining = {i: line.amount for i, line in enumerate(lines)}
        used_offers: set[int] = set()
        seen_codes: set[str] = set()
        for typed in context.codes:
            normalised = code_normalise(typed)
            if not normalised or normalised in seen_codes:
                continue
            seen_codes.add(normalised)
            found = _code_lookup(normalised)
            if found is None:
                result.refused.append(_refused(normalised, "unknown", _("%(code)s is not a valid code.") % {
                    "code": normalised}))
                continue
            if found.offer_id in used_offers:
                result.refused.append(_refused(normalised, "not_eligible", _(
                    "The code %(code)s is for an offer this order already has.") % {"code": normalised}))
                continue
            refusal = _offer_refusal(found.offer, normalised, context, code=found)
            outcome = refusal or _discount(found.offer, normalised, lines, remaining, context)
            if isinstance(outcome, RefusedCode):
                result.refused.append(outcome)
                continue
            used_offers.add(found.offer_id)
            self._apply(result, found.offer, normalised, lines, remaining, outcome)
        for offer in Offer.objects.automatic().select_related("campaign").order_by("pk"):
            if offer.pk in used_offers or _offer_refusal(offer, offer.name, context) is not None:
                continue
            outcome = _discount(offer, offer.name, lines, remaining, context)
            if not isinstance(outcome, RefusedCode):
                used_offers.add(offer.pk)
                self._apply(result, offer, "", lines, remaining, outcome)
        return result

    def _apply(self, result: DiscountResult, offer: Offer, code: str, lines: list[PricedLine],
               remaining: dict[int, int], outcome: tuple[dict[int, int], int]) -> None:
        off, shipping = outcome
        for i, amount in sorted(off.items()):
            result.line_discounts.append(LineDiscount(sku=lines[i].sku, amount=amount, reason=offer.name))
            remaining[i] -= amount
        result.shipping_discount += shipping
        result.applied.append(AppliedOffer(
            provider=self.name, offer_id=offer.pk, code=code, label=offer.name,
            amount=sum(off.values()) + shipping, free_shipping=shipping > 0, campaign_id=offer.campaign_id))

    def commit(self, *, order_id: int, order_number: str, lines: list[PricedLine], context: DiscountContext,
               result: DiscountResult) -> None:
        """Count the uses of what ``evaluate`` applied, in the order's transaction: conditional
        UPDATEs so a code's last use, an offer's last yen of budget and a customer's last allowed
        use each go to one order only; raise DiscountRefused naming every code that lost."""
        mine = [applied for applied in result.applied if applied.provider == self.name]
        if not mine:
            return
        limits = dict(Offer.objects.filter(pk__in=[applied.offer_id for applied in mine]).values_list(
            "pk", "per_customer_limit"))
        customer = None
        if context.customer_id is not None:
            from customers.models import Customer

            queryset = Customer.objects.only("pk")  # the id is all the redemption and the event need
            if any(limits[a.offer_id] for a in mine):
                queryset = queryset.select_for_update()  # one customer's orders count their uses in turn
            customer = queryset.get(pk=context.customer_id)
        refused: list[RefusedCode] = []
        redemptions: list[Redemption] = []
        for applied in mine:
            offer_id, limit = applied.offer_id, limits[applied.offer_id]
            shown = applied.code or applied.label
            code_id = None
            if applied.code:
                code_id, kind = OfferCode.objects.filter(code=applied.code).values_list("pk", "kind").get()
                taken = OfferCode.objects.filter(pk=code_id).filter(
                    Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))).update(uses=F("uses") + 1)
                if not taken:
                    if kind == CodeKind.SINGLE_USE:
                        refused.append(_refused(shown, "already_used", _(
                            "The code %(code)s has already been used.") % {"code": shown}))
                    else:
                        refused.append(_refused(shown, "exhausted", _(
                            "The code %(code)s has been used up.") % {"code": shown}))
                    continue
            if limit and customer is not None and Redemption.objects.filter(
                    offer_id=offer_id, customer=customer).count() >= limit:
                refused.append(_refused(shown, "customer_limit", _(
                    "The code %(code)s has been used as many times as allowed per customer.") % {"code": shown}))
                continue
            within = Q(budget__isnull=True) | Q(spent__lte=F("budget") - applied.amount)
            if not Offer.objects.filter(pk=offer_id).filter(within).update(
                    spent=F("spent") + applied.amount, redeemed=F("redeemed") + 1):
                refused.append(_refused(shown, "budget_spent", _(
                    "The offer of the code %(code)s has ended: its budget is spent.") % {"code": shown}))
                continue
            redemptions.append(Redemption(
                code_id=code_id, offer_id=offer_id, customer=customer, order_id=order_id,
                order_number=order_number, channel_id=context.channel_id, location_id=context.location_id, amount=applied.amount,
                campaign_id=applied.campaign_id))
        if refused:
            raise DiscountRefused(refused)
        Redemption.objects.bulk_create(redemptions)
        # a code of a campaign's offer makes the order that campaign's conversion (campaigns.conversions)
        from .conversions import conversion_record_code

        revenue = sum(line.amount for line in lines) - sum(d.amount for d in result.line_discounts)
        for campaign_id in dict.fromkeys(a.campaign_id for a in mine if a.campaign_id):
            conversion_record_code(campaign_id=campaign_id, customer_id=context.customer_id, order_id=order_id,
                                   order_number=order_number, revenue=revenue, channel=context.channel_kind,
                                   at=context.at)
        if customer is not None:
            from customers.models import EventKind
            from customers.services import event_record

            # the event keeps the channel and location ids only: no need to read the rows
            channel = Channel(pk=context.channel_id)
            location = Location(pk=context.location_id) if context.location_id else None
            for applied in mine:
                event_record(customer=customer, kind=EventKind.COUPON_REDEEMED, channel=channel, location=location,
                             subject=order_subject(order_number), occurred_at=context.at,
                             data={"code": applied.code, "offer": applied.offer_id, "offer_name": applied.label,
                                   "campaign": applied.campaign_id, "amount": applied.amount,
                                   "order": order_number, "order_id": order_id})


# --- reading lines for a check outside an order (the API's validate) ---------------------

def priced_lines(items: list[tuple[str, int]]) -> tuple[list[PricedLine], dict[str, list[str]]]:
    """``(sku, quantity)`` pairs as priced lines at today's prices, and errors per ``lines.<i>``."""
    from inventory.models import Variant

    variants = {v.sku: v for v in Variant.objects.select_related("product").filter(
        sku__in=[sku for sku, _q in items])}
    lines, errors = [], {}
    for index, (sku, quantity) in enumerate(items):
        variant = variants.get(sku)
        if variant is None:
            errors[f"lines.{index}.sku"] = [_("Unknown SKU: %(sku)s.") % {"sku": sku}]
            continue
        if quantity < 1:
            errors[f"lines.{index}.quantity"] = [_("At least 1.")]
            continue
        lines.append(PricedLine(sku=sku, variant_id=variant.pk, product_id=variant.product_id,
                                category=variant.product.category, quantity=quantity, unit_price=variant.price,
                                tax_rate=variant.product.tax_rate))
    return lines, errors
