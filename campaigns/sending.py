"""Sending a campaign: fan-out in batches, one delivery per (message, recipient), every recipient
accounted for.

1. ``campaign_fan_out`` (a task, run when a campaign starts) materialises the audience into
   ``CampaignRecipient`` rows — one INSERT … SELECT per channel, idempotent (a unique constraint and
   ON CONFLICT DO NOTHING) — then enqueues one ``campaign_send_batch`` task per ``BATCH`` recipients,
   the boundaries read in one query.
2. ``campaign_send_batch`` re-checks at the moment of sending, for the whole batch in a few
   queries: consent (``customers.consent.customers_consenting``: a withdrawal since the start
   counts), suppression, erasure, the frequency cap across all campaigns, quiet hours in the
   customer's time (held back, not skipped: ``not_before``). Each remaining recipient's message is
   rendered and handed to the channel's provider through the delivery ledger
   (``kernel.deliveries.deliver_once``): a worker killed mid-send and restarted sends nothing
   twice, and the recipient row is marked sent in the same transaction as the ledger.
3. A provider failure that may pass (a timeout, throttling) leaves the recipient pending with a
   backoff (``not_before``); after ``MAX_ATTEMPTS`` it is failed with the error. A refusal is
   failed at once. ``campaigns_tick`` (every minute) starts scheduled campaigns, re-queues held
   recipients whose time has come, and marks a campaign finished when no recipient is pending.
"""

import dataclasses
import functools
import logging
import secrets
import zoneinfo
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from customers.consent import (
    consent_unsubscribe_headers,
    consent_unsubscribe_token,
    consent_unsubscribe_url,
    customers_consenting,
)
from customers.models import Customer, CustomerEvent, EventKind
from customers.services import events_record_many
from kernel.db import commit_without_waiting_for_disk
from kernel.deliveries import (
    DeliveryTakenOver,
    deliver_once,
    delivery_claim_many,
    delivery_lease,
    delivery_mark_failed,
    delivery_message_id,
    delivery_normalise_recipient,
)
from kernel.models import Delivery, DeliveryStatus
from kernel.site import absolute_url
from kernel.subjects import campaign_subject

from . import personalisation
from .abtests import abtest_split, abtests_tick, batch_variants, variant_message
from .links import link_for, link_url
from .models import (
    CONSENT_FOR_CHANNEL,
    PERSONAL_CHANNELS,
    SENT_CHANNELS,
    Campaign,
    CampaignMessage,
    CampaignRecipient,
    CampaignStatus,
    MessageChannel,
    RecipientStatus,
    SkipReason,
    Suppression,
    SuppressionReason,
)
from .providers import OutgoingMessage, ProviderError, provider_for
from .providers_http import MAX_SEND_ATTEMPTS, provider_retry_delay, sms_address
from .rendering import body_html, email_blocks, render_text
from .services import _queue_fan_out, audience_customers, sender_identity, sending_policy
from .suppression import suppressed_addresses

logger = logging.getLogger(__name__)

BATCH = 500
MAX_ATTEMPTS = MAX_SEND_ATTEMPTS
SENT_EVENT = {MessageChannel.EMAIL: EventKind.EMAIL_SENT, MessageChannel.SMS: EventKind.SMS_SENT,
              MessageChannel.LINE: getattr(EventKind, "LINE_SENT", EventKind.SMS_SENT)}


# --- fan-out ------------------------------------------------------------------------------------

def campaign_channels(campaign: Campaign) -> list[str]:
    """The personal channels the campaign has a message on, in a stable order."""
    channels = set(campaign.messages.values_list("channel", flat=True))
    return [channel for channel in PERSONAL_CHANNELS if channel in channels]


def recipients_materialise(campaign: Campaign) -> int:
    """Insert one pending recipient per audience member and personal channel (INSERT … SELECT,
    nothing loaded into Python); safe to run again. Returns the campaign's recipients."""
    audience = audience_customers(campaign).order_by().values("pk")
    select_sql, params = audience.query.sql_with_params()
    table = CampaignRecipient._meta.db_table
    for channel in campaign_channels(campaign):
        sql = (f"INSERT INTO {table} (campaign_id, customer_id, channel, status, reason, error, address, "  # noqa: S608
               f"language, attempts, occurrence, offer_code) SELECT %s, audience.pk, %s, %s, '', '', '', '', 0, 0, '' "
               f"FROM ({select_sql}) audience WHERE 1 = 1 ORDER BY audience.pk "
               f"ON CONFLICT (campaign_id, customer_id, channel, occurrence) DO NOTHING")
        # (the table name comes from the model; every value is a parameter)
        with connection.cursor() as cursor:
            cursor.execute(sql, [campaign.pk, channel, RecipientStatus.PENDING, *params])
    total = CampaignRecipient.objects.filter(campaign=campaign).count()
    Campaign.objects.filter(pk=campaign.pk).update(recipients_total=total)
    return total


def batch_bounds(campaign_id: int, *, size: int = BATCH, only_due: bool = False,
                 held_only: bool = False) -> list[tuple[int, int]]:
    """``(first id, last id)`` of each run of ``size`` pending recipients, in one query
    (``only_due``: not held back any more; ``held_only``: only those that were held back)."""
    pending = CampaignRecipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.PENDING)
    if held_only:
        pending = pending.filter(not_before__lte=timezone.now())
    elif only_due:
        pending = pending.filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
    sql, params = pending.order_by().values("id").query.sql_with_params()
    query = (f"SELECT MIN(id), MAX(id) FROM (SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS chunk "  # noqa: S608
             f"FROM ({sql}) pending) numbered GROUP BY chunk ORDER BY 1")
    with connection.cursor() as cursor:
        cursor.execute(query, [size, *params])
        return [(first, last) for first, last in cursor.fetchall()]


def _enqueue_batches(campaign_id: int, bounds: list[tuple[int, int]]) -> None:
    from django_q.tasks import async_task

    for first, last in bounds:
        async_task("campaigns.sending.campaign_send_batch", campaign_id, first, last,
                   task_name=f"campaign-{campaign_id}-{first}-{last}")


def campaign_fan_out(campaign_id: int) -> int:
    """Task: materialise the recipients and enqueue their batches. Returns the recipients."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return 0
    total = recipients_materialise(campaign)
    abtest_split(campaign)  # an A/B test: each customer's variant, or reserved for the winner
    _enqueue_batches(campaign_id, batch_bounds(campaign_id))
    # only now may the clock finish it: before, "nothing pending" meant "nothing written yet"
    Campaign.objects.filter(pk=campaign_id).update(fanned_out_at=timezone.now())
    campaign_finish_if_done(campaign_id)
    return total


# --- one batch ----------------------------------------------------------------------------------

@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    held: int = 0
    retrying: int = 0


def _customer_zone(context) -> zoneinfo.ZoneInfo:
    name = getattr(context, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quiet_until(campaign: Campaign, now: datetime, zone) -> datetime | None:
    """When the quiet hours holding a message at ``now`` (in ``zone``) end; None outside them."""
    start, end = campaign.quiet_start, campaign.quiet_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release


def _messages_by_channel(campaign: Campaign) -> dict[str, dict[str, CampaignMessage]]:
    found: dict[str, dict[str, CampaignMessage]] = defaultdict(dict)
    for message in campaign.messages.all():
        found[message.channel][message.language] = message
    return found


def _pick_message(messages: dict[str, CampaignMessage], language: str) -> CampaignMessage | None:
    return messages.get(language) or messages.get(settings.LANGUAGE_CODE) or next(iter(messages.values()), None)


def _address(channel: str, context) -> str:
    if channel == MessageChannel.EMAIL:
        return context.email or ""
    if channel == MessageChannel.SMS:
        return sms_address(context.phone or "") or ""
    if channel == MessageChannel.LINE:
        return context.line_user_id or ""
    if channel == MessageChannel.POSTCARD:
        return context.postal_code if context.postal_code and context.address_lines else ""
    return str(context.customer_id)  # on-site: shown to the signed-in customer


def featured_skus(message: CampaignMessage) -> list[str]:
    """The SKUs of the product a message's button points at (its product page), or none."""
    from django.urls import Resolver404, resolve

    from inventory.models import Variant

    path = urlsplit(message.cta_url or "").path
    if not path.startswith("/"):
        return []
    try:
        match = resolve(path)
    except Resolver404:
        return []
    if match.view_name != "storefront:product":
        return []
    return list(Variant.objects.filter(product__code=match.kwargs.get("code")).values_list("sku", flat=True))


class StockCheck:
    """Whether a message's featured product can still be bought, online or at the customer's
    favourite store, read at the moment of sending (one query per message and store a batch meets)."""

    def __init__(self):
        self._skus: dict[int, list[str]] = {}
        self._answers: dict[tuple[int, int | None], bool] = {}

    def in_stock(self, message: CampaignMessage, favourite_store_id: int | None) -> bool:
        if message.pk not in self._skus:
            self._skus[message.pk] = featured_skus(message)
        skus = self._skus[message.pk]
        if not skus:
            return True
        for location_id in (None, favourite_store_id) if favourite_store_id else (None,):
            key = (message.pk, location_id)
            if key not in self._answers:
                found = personalisation.featured_in_stock(skus=skus, location_id=location_id)
                self._answers[key] = any(found.values())
            if self._answers[key]:
                return True
        return False


def campaign_codes(campaign: Campaign, customer_ids: list[int]) -> dict[int, str]:
    """The coupon code each customer's message carries (``{{ offer_code }}``), as printed: the
    campaign offer's shared code for everyone, or one of its single-use codes per customer,
    assigned to them here (the same code again on a retry or a reprint; another customer
    cannot use it). No offer, or no free code left: no code (the message's coupon block is left out)."""
    offer = campaign_offer(campaign)
    if offer is None or not customer_ids:
        return {}
    return offer_codes(offer, customer_ids)


def recipients_codes(campaign: Campaign, recipients: list[CampaignRecipient], variants) -> dict[int, str]:
    """The code each recipient's customer gets: the campaign's offer's, or for the recipients of an
    A/B variant that grants another offer, that offer's (``variants``: abtests.BatchVariants)."""
    receiving: dict[int | None, set[int]] = defaultdict(set)
    offers = {}
    for recipient in recipients:
        offer = variants.offer_for(recipient)
        receiving[offer.pk if offer else None].add(recipient.customer_id)
        if offer is not None:
            offers[offer.pk] = offer
    codes = campaign_codes(campaign, sorted(receiving.pop(None, ())))
    for offer_id, customer_ids in receiving.items():
        codes.update(offer_codes(offers[offer_id], sorted(customer_ids)))
    return codes


def campaign_offer(campaign: Campaign):
    """The campaign's own offer whose code its messages carry: its first active offer with codes
    that no A/B variant grants instead (a variant's offer is for that variant's recipients only)."""
    from .abtests import variant_offer_ids
    from .models_offers import Offer

    return (Offer.objects.filter(campaign=campaign, is_active=True, automatic=False)
            .exclude(pk__in=variant_offer_ids(campaign)).order_by("pk").first())


def offer_codes(offer, customer_ids: list[int]) -> dict[int, str]:
    """The code of ``offer`` each customer's message carries: its shared code, or a single-use
    code assigned to them (the same on a retry)."""
    from .models_offers import CodeKind, OfferCode
    from .offers import code_printed

    if not customer_ids:
        return {}
    shared = offer.codes.filter(kind=CodeKind.SHARED, customer__isnull=True).order_by("pk").first()
    if shared is not None:  # a code the marketer chose (THANKS10): shown as chosen
        return dict.fromkeys(customer_ids, shared.code)
    single = OfferCode.objects.filter(offer=offer, kind=CodeKind.SINGLE_USE)
    codes = dict(single.filter(customer_id__in=customer_ids).values_list("customer_id", "code"))
    wanting = [pk for pk in customer_ids if pk not in codes]
    if wanting:
        with transaction.atomic():
            free = list(single.filter(customer__isnull=True, uses=0).order_by("pk")
                        .select_for_update(skip_locked=True)[:len(wanting)])
            for code, customer_id in zip(free, wanting, strict=False):
                code.customer_id = customer_id
                codes[customer_id] = code.code
            OfferCode.objects.bulk_update(free[:len(wanting)], ["customer"])
    return {pk: code_printed(code) for pk, code in codes.items()}


def sample_offer_code(campaign: Campaign) -> str:
    """What ``{{ offer_code }}`` shows in a preview or a test: the shared code, or a sample in the
    shape of a single-use code (a preview assigns no customer a real code)."""
    from .models_offers import CodeKind
    from .offers import CODE_RANDOM_LENGTH, code_printed

    offer = campaign_offer(campaign)
    if offer is None:
        return ""
    shared = offer.codes.filter(kind=CodeKind.SHARED, customer__isnull=True).order_by("pk").first()
    return shared.code if shared is not None else code_printed("X" * CODE_RANDOM_LENGTH)


def _frequency_counts(campaign: Campaign, customer_ids: list[int], now: datetime) -> dict[int, int]:
    policy = sending_policy()
    since = now - timedelta(days=policy.frequency_days)
    rows = (CampaignRecipient.objects.filter(customer_id__in=customer_ids, status=RecipientStatus.SENT,
                                             sent_at__gte=since, channel__in=SENT_CHANNELS)
            .exclude(campaign_id=campaign.pk).values("customer_id")
            .annotate(n=Count("campaign_id", distinct=True)))
    return {row["customer_id"]: row["n"] for row in rows}


def _skip(recipient_ids: list[int], reason: str) -> int:
    if not recipient_ids:
        return 0
    return CampaignRecipient.objects.filter(pk__in=recipient_ids, status=RecipientStatus.PENDING).update(
        status=RecipientStatus.SKIPPED, reason=reason)


def campaign_send_batch(campaign_id: int, first_id: int, last_id: int) -> dict:
    """Task: send the pending recipients ``first_id``…``last_id`` of a campaign. Safe to run twice
    and after a worker died: the delivery ledger never sends a message twice."""
    campaign = Campaign.objects.get(pk=campaign_id)
    result = BatchResult()
    if campaign.status != CampaignStatus.SENDING:
        return result.__dict__
    now = timezone.now()
    recipients = list(CampaignRecipient.objects.filter(
        campaign_id=campaign_id, pk__gte=first_id, pk__lte=last_id, status=RecipientStatus.PENDING).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("pk"))
    if not recipients:
        campaign_finish_if_done(campaign_id)
        return result.__dict__
    customer_ids = sorted({r.customer_id for r in recipients})
    messages = _messages_by_channel(campaign)
    variants = batch_variants(campaign)
    wants_recommendations = any(m.include_recommendations for by_lang in messages.values() for m in by_lang.values())
    contexts = personalisation.merge_contexts(customer_ids=customer_ids, recommendations=wants_recommendations,
                                              now=now)
    consenting: dict[str, set[int]] = {}
    service = _service_journey(campaign)  # (and the journey, if any, noted on the campaign for its events)
    for channel in {r.channel for r in recipients}:
        if service:  # a journey's message about their own order: no marketing opt-in needed
            consenting[channel] = set(customer_ids)
            continue
        consent_channel, purpose = CONSENT_FOR_CHANNEL[channel]
        consenting[channel] = set(customers_consenting(
            Customer.objects.filter(pk__in=customer_ids), channel=consent_channel, purpose=purpose)
            .values_list("pk", flat=True))
    policy = sending_policy()
    sender = sender_identity(policy)  # read once a batch, not once a message
    stock = StockCheck()
    frequency = _frequency_counts(campaign, customer_ids, now)
    skips: dict[str, list[int]] = defaultdict(list)
    to_send: list[tuple[CampaignRecipient, object, CampaignMessage, str]] = []
    addresses: dict[str, set[str]] = defaultdict(set)
    journey_values, sold_out_again = {}, set()
    if any(recipient.occurrence for recipient in recipients):
        from .journey_engine import journey_merge_values, journey_stock_recheck

        journey_values = journey_merge_values(recipients)
        sold_out_again = journey_stock_recheck(recipients)  # back in stock, and gone again since
    for recipient in recipients:
        context = contexts.get(recipient.customer_id)
        if context is None:
            skips[SkipReason.ERASED].append(recipient.pk)
            continue
        if recipient.pk in sold_out_again:
            skips[SkipReason.OUT_OF_STOCK].append(recipient.pk)
            continue
        if recipient.pk in journey_values:  # what the journey's trigger was about (the order, the product)
            context = dataclasses.replace(context, journey_values=journey_values[recipient.pk])
        if recipient.customer_id not in consenting[recipient.channel]:
            skips[SkipReason.NO_CONSENT].append(recipient.pk)
            continue
        # a row an A/B channel variant moved to its channel is made from the campaign's own message
        message = _pick_message(messages.get(variants.message_channel(recipient), {}), context.language)
        if message is None:
            skips[SkipReason.NO_MESSAGE].append(recipient.pk)
            continue
        message = variant_message(message, variants.for_recipient(recipient))
        if not stock.in_stock(message, getattr(context, "favourite_store_id", None)):
            skips[SkipReason.OUT_OF_STOCK].append(recipient.pk)
            continue
        address = _address(recipient.channel, context)
        if not address:
            skips[SkipReason.NO_ADDRESS].append(recipient.pk)
            continue
        if (recipient.channel in SENT_CHANNELS and not service
                and frequency.get(recipient.customer_id, 0) >= policy.frequency_cap):
            skips[SkipReason.FREQUENCY_CAP].append(recipient.pk)
            continue
        address = delivery_normalise_recipient(address, recipient.channel)
        addresses[recipient.channel].add(address)
        to_send.append((recipient, context, message, address))
    suppressed = set()
    for channel, channel_addresses in addresses.items():
        suppressed |= {(channel, a) for a in suppressed_addresses(channel, channel_addresses)}
    for reason, ids in skips.items():
        result.skipped += _skip(ids, reason)
    # coupon codes only for those about to receive the message (a skipped customer keeps none); an A/B
    # variant's recipients get its offer's
    codes = recipients_codes(campaign, [recipient for recipient, *_rest in to_send
                                        if (recipient.channel, _rest[2]) not in suppressed], variants)
    # a journey's recipient carries the code an earlier step granted them
    codes.update({recipient.customer_id: recipient.offer_code for recipient, *_rest in to_send
                  if recipient.offer_code})
    held: dict[datetime, list[int]] = defaultdict(list)
    sendable = []
    for recipient, context, message, address in to_send:
        if (recipient.channel, address) in suppressed:
            result.skipped += _skip([recipient.pk], SkipReason.SUPPRESSED)
            continue
        if recipient.channel in SENT_CHANNELS:
            release = quiet_until(campaign, now, _customer_zone(context))
            if release is not None:
                held[release].append(recipient.pk)
                continue
        sendable.append((recipient, context, message, address))
    providers: dict[str, object] = {}  # opened by the claim; the first lane sends with them
    try:
        claims = _claim(sendable, providers)
    except BaseException:
        _close(providers)
        raise
    if isinstance(claims, ProviderError):
        _close(providers)
        for recipient, *_rest in sendable:
            outcome = _failed(recipient, claims)
            setattr(result, outcome, getattr(result, outcome) + 1)
    else:
        lanes = _lanes(sendable)
        send = functools.partial(_send_lane, campaign, claims=claims, codes=codes, sender=sender)
        if len(lanes) == 1:
            outcomes = [send(lanes[0], providers=providers)]
        else:
            with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="campaign-lane") as pool:
                futures = [pool.submit(_in_own_connection, send, lane, providers if n == 0 else {})
                           for n, lane in enumerate(lanes)]
                outcomes = [future.result() for future in futures]
        for counts in outcomes:
            for outcome, n in counts.items():
                setattr(result, outcome, getattr(result, outcome) + n)
    for release, ids in held.items():
        result.held += CampaignRecipient.objects.filter(pk__in=ids, status=RecipientStatus.PENDING).update(
            not_before=release)
    Campaign.objects.filter(pk=campaign_id).update(batch_done_at=timezone.now())
    campaign_finish_if_done(campaign_id)
    return result.__dict__


MIN_PER_LANE = 20  # fewer emails than this a lane: not worth a thread and its connections


def _lanes(sendable: list) -> list[list]:
    """The batch's messages split into the lanes that send them at once (CAMPAIGN_SEND_CONCURRENCY):
    emails spread over all of them; SMS, LINE and the rest in the first, whose providers keep a
    rate limit per connection. One lane on SQLite, which writes one transaction at a time anyway."""
    emails = [item for item in sendable if item[0].channel == MessageChannel.EMAIL]
    concurrency = getattr(settings, "CAMPAIGN_SEND_CONCURRENCY", 1) if connection.vendor == "postgresql" else 1
    count = max(1, min(concurrency, len(emails) // MIN_PER_LANE))
    lanes = [[item for item in sendable if item[0].channel != MessageChannel.EMAIL]] + [[] for _n in range(count - 1)]
    for n, item in enumerate(emails):
        lanes[n % count].append(item)
    return [lane for lane in lanes if lane] or [[]]


def _in_own_connection(function, lane: list, providers: dict):
    """Run a lane in its thread and close the thread's database connections after it."""
    from django.db import connections

    try:
        return function(lane, providers=providers)
    finally:
        connections.close_all()


def _close(providers: dict) -> None:
    for provider in providers.values():
        provider.close()


def _send_lane(campaign, lane: list, *, claims: dict, codes: dict, sender, providers: dict) -> dict[str, int]:
    """Send one lane's messages in order, with its own providers (opened as needed, closed after),
    layouts and bookkeeping."""
    counts: dict[str, int] = defaultdict(int)
    layouts = EmailLayouts()
    book = SentBook(campaign)
    try:
        for recipient, context, message, address in lane:
            outcome = _send_one(campaign, recipient, context, message, address, providers,
                                offer_code=codes.get(recipient.customer_id, ""), sender=sender,
                                claimed=claims.get((recipient.message_key, address, recipient.channel)),
                                claimed_in_batch=recipient.channel in SENT_CHANNELS, layouts=layouts, book=book)
            counts[outcome] += 1
    finally:
        try:
            book.flush()
        finally:
            _close(providers)
    return counts


def _provider(channel: str, providers: dict):
    if channel not in providers:
        provider = provider_for(channel)
        provider.open()
        providers[channel] = provider
    return providers[channel]


def _claim(sendable: list, providers: dict) -> dict | ProviderError:
    """The batch's messages claimed in the delivery ledger at once (one INSERT, one commit per
    channel), straight into ``sending`` for a transport that is two-phase or drops repeats; the
    rows by ``(message key, address, channel)``. A ProviderError when a provider cannot open (every
    recipient of the batch then counts as failed with it, and is retried)."""
    by_channel: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for recipient, _context, _message, address in sendable:
        if recipient.channel in SENT_CHANNELS:
            by_channel[recipient.channel].append((recipient.message_key, address, recipient.channel))
    claims = {}
    for channel, messages in by_channel.items():
        try:
            provider = _provider(channel, providers)
        except ProviderError as exc:
            return exc
        safe = getattr(provider, "two_phase", False) or getattr(provider, "retry_safe", False)
        claims.update(delivery_claim_many(messages=messages, sending=safe, retry_safe=safe))
    return claims


class SentBook:
    """The "sent" bookkeeping of a batch, written in bulk: each recipient the ledger marked sent
    (one statement per message, ``delivery_mark_sent`` without ``on_sent``) is written ``sent``
    with its customer's ``email_sent`` event every ``FLUSH_EVERY`` messages and when the batch
    ends, in one transaction (two statements and an INSERT for up to fifty messages instead of
    four statements each). The delivery ledger stays the truth: a worker killed before a flush
    leaves those recipients pending with their deliveries ``sent``, and the batch run again settles
    them (``_settle_unsent``) as sent, with their events, and sends nothing."""

    FLUSH_EVERY = 50

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.rows: list[tuple[CampaignRecipient, datetime, str, str]] = []
        if getattr(campaign, "journey_id_cached", None) is None:
            _service_journey(campaign)  # the journey its sent events name, read now and not in a flush

    def add(self, recipient: CampaignRecipient, *, sent_at: datetime, address: str, language: str) -> None:
        self.rows.append((recipient, sent_at, address[:254], language))
        if len(self.rows) >= self.FLUSH_EVERY:
            self.flush()

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        with transaction.atomic():
            commit_without_waiting_for_disk()  # bookkeeping after the point of no return (kernel.deliveries)
            pending = set(CampaignRecipient.objects.select_for_update(of=("self",)).filter(
                pk__in=[recipient.pk for recipient, *_rest in rows], status=RecipientStatus.PENDING)
                .values_list("pk", flat=True))
            written = []
            for recipient, sent_at, address, language in rows:
                if recipient.pk in pending:  # not settled meanwhile by a worker that took it over
                    recipient.status, recipient.sent_at, recipient.error = RecipientStatus.SENT, sent_at, ""
                    recipient.address, recipient.language = address, language
                    written.append(recipient)
            CampaignRecipient.objects.bulk_update(written, ["status", "sent_at", "address", "language", "error"])
            events_record_many([sent_event(self.campaign, recipient.customer_id, recipient.channel,
                                           recipient.sent_at) for recipient in written])
        return len(written)


def sent_event(campaign: Campaign, customer_id: int, channel: str, sent_at: datetime) -> CustomerEvent:
    """The customer's timeline entry for a campaign message sent to them (unsaved)."""
    data = {"campaign": campaign.pk, "channel": channel, "name": campaign.name[:80]}
    journey_id = getattr(campaign, "journey_id_cached", None)
    if journey_id is None:
        from .models_journeys import JourneyStep

        journey_id = JourneyStep.objects.filter(campaign=campaign).values_list("journey_id", flat=True).first() or 0
        campaign.journey_id_cached = journey_id
    if journey_id:
        data["journey"] = journey_id  # the message type the customer's engagement is counted by
    return CustomerEvent(customer_id=customer_id, kind=SENT_EVENT[channel], subject=campaign_subject(campaign.pk),
                         occurred_at=sent_at, data=data)


def _send_one(campaign, recipient, context, message, address, providers, *, offer_code: str = "",
              book: "SentBook", sender=None, claimed=None, claimed_in_batch: bool = False, layouts=None) -> str:
    """Send one recipient's message through the ledger (its bookkeeping into ``book``); returns the
    BatchResult field to count."""
    channel = recipient.channel
    if channel not in SENT_CHANNELS:  # on-site and postcards: the audience is set, nothing to transmit
        with transaction.atomic():
            done = CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.PENDING).update(
                status=RecipientStatus.SENT, sent_at=timezone.now(), address=address[:254],
                language=message.language)
        return "sent" if done else "skipped"
    message_key = recipient.message_key
    try:
        outgoing = outgoing_message(campaign, recipient, context, message, address, offer_code=offer_code,
                                    sender=sender, layouts=layouts)
        provider = _provider(channel, providers)
    except ProviderError as exc:
        if claimed is not None:  # claimed with the batch but never handed over: free to send again
            delivery_mark_failed(delivery=claimed, error=str(exc))
        return _failed(recipient, exc)

    two_phase = getattr(provider, "two_phase", False)

    def send(delivery, commit=None) -> str:
        return provider.send(outgoing, commit) if two_phase else provider.send(outgoing)

    try:
        if claimed_in_batch and claimed is None:
            delivery = None  # the batch's claim found it sent or in a live worker's hands
        else:
            delivery = deliver_once(message_key=message_key, recipient=address, channel=channel, send=send,
                                    two_phase=two_phase,
                                    retry_safe=getattr(provider, "retry_safe", False), claimed=claimed)
    except ProviderError as exc:
        return _failed(recipient, exc, address)
    except DeliveryTakenOver:
        return "held"  # another worker took the message over: it settles the recipient
    if delivery is not None:
        book.add(recipient, sent_at=delivery.sent_at or timezone.now(), address=address, language=message.language)
        return "sent"
    return _settle_unsent(campaign, recipient, message_key, address, channel, message)


def _settle_unsent(campaign, recipient, message_key, address, channel, message) -> str:
    """The ledger said not to send: find out why and settle the recipient accordingly."""
    row = Delivery.objects.filter(message_key=message_key, recipient=address, channel=channel).first()
    if row is None or row.status in (DeliveryStatus.CLAIMED, DeliveryStatus.SENDING, DeliveryStatus.COMMITTING):
        return "held"  # a live worker has it: it settles the recipient
    if row.status == DeliveryStatus.SENT:
        # sent to this address already: by a worker that died before its bookkeeping (SentBook), or
        # to another customer sharing the address (or a recipient re-added); the person has it
        shared = CampaignRecipient.objects.filter(
            campaign_id=recipient.campaign_id, channel=channel, address=address[:254],
            status=RecipientStatus.SENT).exclude(pk=recipient.pk).exists()
        with transaction.atomic():
            if CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.PENDING).update(
                    status=RecipientStatus.SENT, sent_at=row.sent_at, address=address[:254],
                    language=message.language, error="Already sent to this address in this campaign." if shared else ""):
                events_record_many([sent_event(campaign, recipient.customer_id, channel, row.sent_at)])
        return "sent"
    CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.PENDING).update(
        status=RecipientStatus.FAILED, error=(row.error or "Outcome unknown: the worker stopped mid-send.")[:500],
        address=address[:254])
    return "failed"


def _failed(recipient: CampaignRecipient, exc: ProviderError, address: str = "") -> str:
    attempts = recipient.attempts + 1
    error = str(exc)[:500]
    if exc.hard_bounce and address:  # the address does not exist: no campaign tries it again
        Suppression.objects.get_or_create(channel=recipient.channel, address=address, defaults={
            "reason": SuppressionReason.HARD_BOUNCE, "detail": error[:300]})
    wait = provider_retry_delay(attempt=attempts, error=exc)
    if wait is not None:
        CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.PENDING).update(
            attempts=attempts, error=error, not_before=timezone.now() + timedelta(seconds=wait))
        return "retrying"
    CampaignRecipient.objects.filter(pk=recipient.pk, status=RecipientStatus.PENDING).update(
        attempts=attempts, error=error, status=RecipientStatus.FAILED)
    return "failed"


# --- the message itself -------------------------------------------------------------------------

def merge_values(campaign: Campaign, context, *, channel: str, track=None, offer_code: str = "") -> dict:
    """The values of the merge fields for one recipient (rendering.MERGE_FIELDS)."""
    from brandkit.theme import theme

    values = context.as_context()
    recommendations = [dataclasses.asdict(item) for item in values.get("recommendations") or []]
    if track is not None:
        recommendations = [{**item, "url": track(item["url"])} for item in recommendations]
    values.update({"order_number": "", "product_name": "", "store_name": "", "product_url": ""})
    values.update(getattr(context, "journey_values", None) or {})
    values.update({
        "recommendations": recommendations,
        "offer_code": offer_code,
        "shop_url": absolute_url("/"),
        "brand_name": theme().brand_name,
    })
    return values


def cta_target(message: CampaignMessage) -> str:
    return absolute_url(message.cta_url) if message.cta_url else ""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str = ""


EMAIL_HTML = "campaigns/email/campaign.html"
EMAIL_TEXT = "campaigns/email/campaign.txt"


class EmailLayouts:
    """The brand's email layout rendered once per message and shape for a whole batch, with a
    slot where each recipient's own values go; each email is then the layout with its values put
    in (escaped as the template would). Rendering the layout through the template engine for
    every recipient took most of an email's CPU.

    A *shape* is which optional parts the email has (a headline, a preheader, a code, a button, the
    pixel): the template shows or hides parts by them, so each shape has its own layout. An email
    with recommendations is rendered in full (the products differ per recipient)."""

    SLOTS = ("subject", "preheader", "body_html", "body_text", "cta_url", "offer_code", "unsubscribe_url",
             "pixel_url")

    def __init__(self):
        nonce = secrets.token_hex(6)
        self.token = {name: f"omnishopslot{nonce}{name.replace('_', '')}z" for name in self.SLOTS}
        self.layouts: dict[tuple, tuple[str, str]] = {}

    def render(self, message: CampaignMessage, page: dict) -> "RenderedMessage":
        values = page["values"]
        own = {"subject": page["subject"], "preheader": page["preheader"], "body_html": page["body_html"],
               "body_text": page["body_text"], "cta_url": page["cta_url"], "offer_code": values.get("offer_code", ""),
               "unsubscribe_url": values.get("unsubscribe_url", ""), "pixel_url": page["pixel_url"]}
        shape = (message.pk, message.language, *(bool(own[name]) for name in self.SLOTS))
        if shape not in self.layouts:
            self.layouts[shape] = self._layout(page, own)
        html, text = self.layouts[shape]
        for name in self.SLOTS:
            if own[name]:
                token = self.token[name]
                value = str(own[name])
                html = html.replace(token, value if name == "body_html" else str(conditional_escape(value)))
                text = text.replace(token, value)
        return RenderedMessage(subject=page["subject"], text=text, html=html)

    def _layout(self, page: dict, own: dict) -> tuple[str, str]:
        from brandkit.theme import theme

        slotted = {name: (self.token[name] if own[name] else "") for name in self.SLOTS}
        layout = {**page, **slotted, "body_html": mark_safe(slotted["body_html"]),  # noqa: S308 (a token)
                  "values": {**page["values"], "offer_code": slotted["offer_code"],
                             "unsubscribe_url": slotted["unsubscribe_url"], "recommendations": []},
                  "blocks": email_blocks(theme().email_layout).blocks}
        return render_to_string(EMAIL_HTML, layout), render_to_string(EMAIL_TEXT, layout)


def render_message(campaign: Campaign, message: CampaignMessage, context, *, track=None, pixel_url: str = "",
                   unsubscribe_url: str = "", offer_code: str = "", sender=None,
                   layouts: EmailLayouts | None = None) -> RenderedMessage:
    """A message rendered for one customer (``context``: personalisation.MergeContext) in the
    message's language: the email in the brand's layout (HTML and text), an SMS or LINE text with
    the sender and the opt-out link. ``track`` wraps each link (the click redirect); a preview
    passes none, and no pixel. ``layouts``: a batch's EmailLayouts (the same email, faster)."""
    from brandkit.theme import theme

    channel = message.channel
    sender = sender or sender_identity()
    brand = theme()
    with translation.override(message.language):
        values = merge_values(campaign, context, channel=channel, track=track, offer_code=offer_code)
        values["unsubscribe_url"] = unsubscribe_url
        cta = cta_target(message)
        if cta and track is not None:
            cta = track(cta)
        subject = render_text(message.subject, values)
        body = render_text(message.body, values)
        if channel == MessageChannel.EMAIL:
            page = {
                "brand": brand, "message": message, "campaign": campaign, "values": values,
                "subject": subject, "preheader": render_text(message.preheader, values),
                "body_html": body_html(body, track=track), "body_text": body, "cta_url": cta,
                "cta_label": message.cta_label, "sender": sender, "pixel_url": pixel_url,
                "LANGUAGE_CODE": message.language,
            }
            if layouts is not None and not values.get("recommendations"):
                return layouts.render(message, page)
            page["blocks"] = email_blocks(brand.email_layout).blocks
            return RenderedMessage(subject=subject, text=render_to_string(EMAIL_TEXT, page),
                                   html=render_to_string(EMAIL_HTML, page))
        if cta:
            body += "\n" + cta
        if channel == MessageChannel.SMS:
            body = render_to_string("campaigns/sms.txt", {"text": body, "signature": brand.sms_signature,
                                                          "sender": sender, "unsubscribe_url": unsubscribe_url})
        return RenderedMessage(subject=subject, text=body.strip())


def outgoing_message(campaign: Campaign, recipient: CampaignRecipient, context, message: CampaignMessage,
                     address: str, *, offer_code: str = "", sender=None,
                     layouts: EmailLayouts | None = None) -> OutgoingMessage:
    """One recipient's message, with tracking, the opt-out link (RFC 8058 headers on email) and
    the Message-ID every attempt of it carries."""
    from . import tracking  # the click and open links (campaigns.tracking)

    channel = recipient.channel
    customer = Customer(pk=recipient.customer_id)
    reference = campaign_subject(campaign.pk)
    consent_channel = CONSENT_FOR_CHANNEL[channel][0]
    token = consent_unsubscribe_token(customer=customer, channel=consent_channel, reference=reference)

    def track(url: str) -> str:
        if channel in (MessageChannel.SMS, MessageChannel.LINE):  # every character counts: the short link
            link = link_for(campaign=campaign, channel=channel, target=url)
            return link_url(link, recipient_id=recipient.pk)
        return tracking.click_url(recipient, url)

    rendered = render_message(
        campaign, message, context, track=track,
        pixel_url=tracking.open_pixel_url(recipient) if channel == MessageChannel.EMAIL else "",
        unsubscribe_url=consent_unsubscribe_url(customer=customer, channel=consent_channel, token=token),
        offer_code=offer_code, sender=sender, layouts=layouts)
    headers = {}
    if channel == MessageChannel.EMAIL:
        headers = consent_unsubscribe_headers(customer=customer, channel=consent_channel, token=token)
    return OutgoingMessage(channel=channel, to=address, subject=rendered.subject, text=rendered.text,
                           html=rendered.html, headers=headers, reference=str(recipient.pk),
                           message_id=delivery_message_id(message_key=recipient.message_key, recipient=address))


# --- the campaign's end, and the clock ----------------------------------------------------------

def _service_journey(campaign: Campaign) -> bool:
    """The campaign is a step of a service journey (a pickup reminder): no marketing opt-in, no
    marketing frequency cap. One query, which also notes the journey (if any) on the campaign
    object for the batch's sent events (``sent_event``)."""
    from .models_journeys import JourneyPurpose, JourneyStep

    step = JourneyStep.objects.filter(campaign=campaign).values_list("journey_id", "journey__purpose").first()
    campaign.journey_id_cached = step[0] if step else 0
    return step is not None and step[1] == JourneyPurpose.SERVICE


def campaign_finish_if_done(campaign_id: int) -> bool:
    """Mark a sending campaign finished once its recipients are all written (the fan-out is done)
    and none is pending (nor reserved for an A/B test's winner). A journey step's campaign sends
    as long as its journey runs: it is never finished here."""
    from .models_journeys import JourneyStep

    if JourneyStep.objects.filter(campaign_id=campaign_id).exists():
        return False
    if CampaignRecipient.objects.filter(campaign_id=campaign_id,
                                        status__in=(RecipientStatus.PENDING, RecipientStatus.RESERVED)).exists():
        return False
    return bool(Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING,
                                        fanned_out_at__isnull=False).update(
        status=CampaignStatus.FINISHED, finished_at=timezone.now()))


STALE_BATCH = timedelta(minutes=15)


def lost_batch_after() -> timedelta:
    """How long a sending campaign may go without a batch finishing before the clock takes its
    queued batches for lost: twice the delivery lease (the task timeout), so a batch that is
    running has finished or been killed by then, and the claims of a killed one are stale."""
    return max(2 * delivery_lease(), timedelta(minutes=2))


def campaigns_tick() -> dict:
    """Scheduled every minute: start campaigns whose time has come, re-queue recipients held by
    quiet hours or a retry whose time has come (and batches a lost task left pending), and finish
    campaigns with nothing pending."""
    now = timezone.now()
    started = 0
    for campaign_id in Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=now).values_list(
            "pk", flat=True):
        with transaction.atomic():
            if Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SCHEDULED).update(
                    status=CampaignStatus.SENDING, started_at=now):
                started += 1
                transaction.on_commit(lambda pk=campaign_id: _queue_fan_out(pk))
    requeued = 0
    stale = now - STALE_BATCH
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING):
        if campaign.fanned_out_at is None:
            # its fan-out is running, or its task was lost: queue it again once a while (idempotent)
            if campaign.started_at and campaign.started_at < stale and (
                    campaign.requeued_at is None or campaign.requeued_at < stale):
                Campaign.objects.filter(pk=campaign.pk).update(requeued_at=now)
                _queue_fan_out(campaign.pk)
            continue
        due = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING)
        bounds = []
        if due.filter(not_before__lte=now).exists():  # held by quiet hours or a retry: their time has come
            bounds = batch_bounds(campaign.pk, only_due=True, held_only=True)
        # batches a lost task left pending (a worker killed with a broker that does not hand its task
        # over again): once no batch has finished, nor been queued again, for lost_batch_after()
        quiet_since = max(moment for moment in (campaign.fanned_out_at, campaign.batch_done_at, campaign.requeued_at)
                          if moment is not None)
        lost = quiet_since < now - lost_batch_after() and due.filter(not_before__isnull=True).exists()
        if lost:
            Campaign.objects.filter(pk=campaign.pk).update(requeued_at=now)
            bounds = batch_bounds(campaign.pk, only_due=True)
        if bounds:
            requeued += len(bounds)
            _enqueue_batches(campaign.pk, bounds)
        else:
            campaign_finish_if_done(campaign.pk)
    winners = abtests_tick()  # A/B tests whose decision time has come: the winner to the rest
    return {"started": started, "batches": requeued, "ab_winners": winners}


def campaign_progress(campaign: Campaign) -> dict:
    """Counts by status for the progress bar (one query)."""
    counts = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"), pending=Count("pk", filter=Q(status=RecipientStatus.PENDING)),
        sent=Count("pk", filter=Q(status=RecipientStatus.SENT)),
        skipped=Count("pk", filter=Q(status=RecipientStatus.SKIPPED)),
        failed=Count("pk", filter=Q(status=RecipientStatus.FAILED)),
        held=Count("pk", filter=Q(status=RecipientStatus.PENDING, not_before__gt=timezone.now())),
        reserved=Count("pk", filter=Q(status=RecipientStatus.RESERVED)),
        first=Min("sent_at"), last=Max("sent_at"))
    # the rest of an A/B test's audience waits for the winner: not done, not pending either
    done = counts["done"] = counts["total"] - counts["pending"] - counts["reserved"]
    counts["percent"] = int(done * 100 / counts["total"]) if counts["total"] else (
        100 if campaign.status == CampaignStatus.FINISHED else 0)
    return counts


def campaign_test_send(*, campaign: Campaign, message: CampaignMessage, customer: Customer, to: str,
                       acting_user) -> str:
    """Send ``message`` as ``customer`` would get it to a member of staff (``to``), marked as a
    test, with no tracking and an inert opt-out link. Email only: an SMS or LINE message is checked
    in the preview. Returns the Message-ID."""
    from kernel.audit import audit_record

    from .errors import CampaignError

    if message.channel != MessageChannel.EMAIL:
        raise CampaignError(_("Only email messages can be sent as a test; check SMS and LINE in the preview."))
    if not to:
        raise CampaignError(_("Your account has no email address to send the test to."))
    context = personalisation.merge_contexts(customer_ids=[customer.pk], recommendations=message.include_recommendations)
    if customer.pk not in context:
        raise CampaignError(_("This customer cannot be used for a preview."))
    rendered = render_message(campaign, message, context[customer.pk], unsubscribe_url=absolute_url("/"),
                              offer_code=sample_offer_code(campaign))
    key = f"campaign-test:{campaign.pk}:{message.pk}:{timezone.now().timestamp():.0f}"
    message_id = delivery_message_id(message_key=key, recipient=to)
    outgoing = OutgoingMessage(channel="email", to=to, subject=f"[TEST] {rendered.subject}", text=rendered.text,
                               html=rendered.html, message_id=message_id)
    with provider_for("email") as provider:
        deliver_once(message_key=key, recipient=to, channel="email", send=lambda delivery: provider.send(outgoing))
    audit_record(actor=acting_user, action="campaign_test_send", obj=campaign,
                 changes={"message": f"{message.channel}/{message.language}", "as": customer.pk})
    return message_id
