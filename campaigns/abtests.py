"""A/B tests of campaigns: variants of a campaign's copy, a deterministic split, the winner by a
chosen metric with a significance test said in plain words, and the winner sent to the rest.

How it runs (every step a service here, called by the console, the API and the clock alike):

1. ``abtest_save`` writes a draft campaign's test: 2–4 variants (A–D), each replacing the subject
   and/or body of some of the campaign's messages (per channel and language), granting another
   of the campaign's offers (its coupon code instead of the campaign's), or going by another
   channel (SMS or LINE instead of email: its own text for that channel), with the test share, the
   metric and when to decide. Everything is checked at save, naming the step: fewer than two
   variants, two variants that say the same, a template error, copy the brand kit refuses, an
   offer that has ended, a channel variant without its text, an open rate compared across a
   channel that has no opens.
2. When the campaign starts, ``abtest_split`` (run by the fan-out, ``campaigns.sending``) puts each
   customer in the test or in the rest by a hash of (campaign, customer): the same customers get
   the same variant on a re-run and on every channel. Test recipients carry their variant; the
   rest wait with the status ``reserved``. Each variant's messages have their own key in the
   delivery ledger (``CampaignRecipient.message_key``), and every customer has one recipient row
   per channel, so nobody gets two variants, nor the winner after a variant. A channel variant's
   recipients have their row moved to its channel (the campaign is sent on one channel, so the
   customer has no row there yet); the sending engine checks the consent for that channel at
   send like for any row, and skips (``no_consent``) whoever has not opted in to it.
3. ``abtest_results`` counts each variant over its own recipients (skipped ones apart, with the
   reason), and ``verdict_of`` compares the leader with the runner-up: a two-proportion z-test for a rate,
   Welch's t-test for revenue per recipient (the standard library's ``math.erfc`` and a continued
   fraction for Student's t; no SciPy for two formulas), and says it in a sentence.
4. ``abtest_send_winner`` (a marketer's button, or ``campaigns_tick`` at the decision time) records
   the winner and turns the rest from reserved to pending with the winner's copy (offer and
   channel); the sending
   engine sends them like any campaign batch, re-checking the brand kit first.
"""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kernel.audit import audit_record

from .errors import CampaignError, CampaignInvalid
from .models import (
    SENT_CHANNELS,
    Campaign,
    CampaignMessage,
    CampaignRecipient,
    CampaignStatus,
    MessageChannel,
    RecipientStatus,
    SkipReason,
)
from .models_abtest import (
    MAX_VARIANTS,
    MIN_VARIANTS,
    VARIANT_LABELS,
    ABMetric,
    ABStatus,
    ABTest,
    ABVariant,
    VariantChannel,
)
from .models_offers import Offer
from .models_tracking import CampaignConversion
from .rendering import template_errors

COPY_PARTS = ("subject", "body")
SIGNIFICANT = 0.05  # below this chance of luck, a difference is called real
SPLIT_BUCKETS = 10_000
MAX_DECIDE_HOURS = 24 * 30
UPDATE_CHUNK = 2_000

METRIC_IN_SENTENCE = {
    ABMetric.OPEN_RATE: gettext_lazy("open rate"),
    ABMetric.CLICK_RATE: gettext_lazy("click rate"),
    ABMetric.CONVERSION_RATE: gettext_lazy("conversion rate"),
    ABMetric.REVENUE: gettext_lazy("revenue per recipient"),
}


def message_slot(message: CampaignMessage) -> str:
    """The key of a campaign message in a variant's ``copy``: ``channel/language``."""
    return f"{message.channel}/{message.language}"


def sent_channel(messages) -> str:
    """The one channel (email, SMS or LINE) a campaign's messages are sent on, or "" when they
    are sent on none or on several (a channel variant needs exactly one to replace)."""
    found = {m.channel for m in messages if m.channel in SENT_CHANNELS}
    return found.pop() if len(found) == 1 else ""


# --- the split ----------------------------------------------------------------------------------

def split_of(campaign_id: int, customer_id: int, *, share: int, variants: int) -> int | None:
    """Which variant (0-based) a customer gets, or None when they are in the rest. A hash of
    (campaign, customer): the same answer every time, independent between campaigns."""
    digest = hashlib.blake2b(f"ab:{campaign_id}:{customer_id}".encode(), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    if number % SPLIT_BUCKETS >= share * SPLIT_BUCKETS // 100:
        return None
    return (number // SPLIT_BUCKETS) % variants


def abtest_split(campaign: Campaign) -> dict[str, int]:
    """Give each pending recipient without a variant theirs, or reserve them for the winner (the
    fan-out runs it after writing the recipients; safe to run again). Returns counts per label
    and ``rest``."""
    ab = ABTest.objects.filter(campaign=campaign).first()
    if ab is None or ab.status not in (ABStatus.DRAFT, ABStatus.TESTING):
        return {}
    variants = list(ab.variants.order_by("label"))
    source = sent_channel(campaign.messages.all())
    rows = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING,
                                            variant__isnull=True).values_list("pk", "customer_id")
    chosen: dict[int | None, list[int]] = {}
    for pk, customer_id in rows.iterator(chunk_size=5_000):
        index = split_of(campaign.pk, customer_id, share=ab.test_share, variants=len(variants))
        chosen.setdefault(index, []).append(pk)
    counts = {}
    for index, ids in chosen.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            chunk = CampaignRecipient.objects.filter(pk__in=ids[start:start + UPDATE_CHUNK],
                                                     status=RecipientStatus.PENDING)
            if index is None:
                chunk.update(status=RecipientStatus.RESERVED)
                continue
            variant = variants[index]
            if variant.channel and source and variant.channel != source:
                # the split decides the channel: their row of the campaign's channel moves to the variant's.
                # A fan-out run again (its task lost and queued anew) wrote the campaign's row again for
                # those already moved: that copy goes, the customer keeps their one row
                moving = chunk.filter(channel=source)
                moving.filter(customer_id__in=CampaignRecipient.objects.filter(
                    campaign=campaign, channel=variant.channel).values("customer_id")).delete()
                moving.update(variant=variant, channel=variant.channel)
            chunk.update(variant=variant)
        counts["rest" if index is None else variants[index].label] = len(ids)
    if ab.status == ABStatus.DRAFT:
        ABTest.objects.filter(pk=ab.pk, status=ABStatus.DRAFT).update(status=ABStatus.TESTING,
                                                                      test_started_at=timezone.now())
    return counts


# --- the copy each recipient gets ---------------------------------------------------------------

def variant_message(message: CampaignMessage, variant: ABVariant | None) -> CampaignMessage:
    """``message`` as ``variant`` has it (an unsaved copy with the same id), or itself. A channel
    variant turns the campaign's sent message into one on its channel, with its own text for it
    (``copy["sms/ja"]``); the button link stays."""
    if variant is None:
        return message
    moved = bool(variant.channel) and variant.channel != message.channel and message.channel in SENT_CHANNELS
    slot = f"{variant.channel}/{message.language}" if moved else message_slot(message)
    replaced = {name: variant.part(slot, name) for name in COPY_PARTS}
    replaced = {name: text for name, text in replaced.items() if text}
    if not replaced and not moved:
        return message
    copy = CampaignMessage(**{f.attname: getattr(message, f.attname) for f in CampaignMessage._meta.concrete_fields})
    if moved:
        copy.channel, copy.subject, copy.preheader, copy.include_recommendations = variant.channel, "", "", False
    for name, text in replaced.items():
        setattr(copy, name, text)
    return copy


@dataclass
class BatchVariants:
    """What a sending batch needs to give each recipient their variant (read once a batch)."""

    by_id: dict[int, ABVariant] = field(default_factory=dict)
    winner: ABVariant | None = None
    source: str = ""  # the campaign's sent channel, which a channel variant replaces

    def for_recipient(self, recipient: CampaignRecipient) -> ABVariant | None:
        if recipient.variant_id:
            return self.by_id.get(recipient.variant_id)
        return self.winner  # the rest, sent after the test: the winner's copy

    def message_channel(self, recipient: CampaignRecipient) -> str:
        """The channel of the campaign message a recipient's is made from: the campaign's own
        for a row a channel variant moved to its channel, else the row's."""
        variant = self.for_recipient(recipient)
        if variant is not None and variant.channel and recipient.channel == variant.channel and self.source:
            return self.source
        return recipient.channel

    def offer_for(self, recipient: CampaignRecipient) -> Offer | None:
        """The offer whose code the recipient's message carries instead of the campaign's, or None."""
        variant = self.for_recipient(recipient)
        return variant.offer if variant is not None else None


def batch_variants(campaign: Campaign) -> BatchVariants:
    ab = ABTest.objects.filter(campaign=campaign).first()
    if ab is None:
        return BatchVariants()
    variants = {v.pk: v for v in ab.variants.select_related("offer")}
    return BatchVariants(by_id=variants, winner=variants.get(ab.winner_id),
                         source=sent_channel(campaign.messages.all()))


def variant_offer_ids(campaign: Campaign) -> list[int]:
    """The offers the campaign's A/B variants grant instead of its own (not its default offer)."""
    return list(ABVariant.objects.filter(ab_test__campaign=campaign, offer__isnull=False)
                .values_list("offer_id", flat=True))


def variant_offer_candidates(campaign: Campaign) -> list[Offer]:
    """The offers a variant may grant: the campaign's active offers with codes that have not ended."""
    now = timezone.now()
    return list(Offer.objects.filter(campaign=campaign, is_active=True, automatic=False)
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).order_by("pk"))


# --- saving a test ------------------------------------------------------------------------------

@dataclass(frozen=True)
class VariantIn:
    label: str
    copy: dict  # {"email/ja": {"subject": "…", "body": "…"}}
    offer_id: int | None = None  # another of the campaign's offers
    channel: str = ""  # "sms", "line" or "email": goes by that channel instead of the campaign's


def _offer_problem(campaign: Campaign, offer: Offer | None, where: str) -> str:
    """Why ``offer`` cannot be a variant's (it must be a current code offer of this campaign)."""
    from .offers import offer_ends_at

    if offer is None:
        return _("%(step)s: that offer does not exist.") % {"step": where}
    if offer.campaign_id != campaign.pk:
        return _("%(step)s: the offer “%(offer)s” is not this campaign's: add it to the campaign first.") % {
            "step": where, "offer": offer.name}
    if offer.automatic:
        return _("%(step)s: the offer “%(offer)s” applies without a code, to everyone: a variant needs an offer "
                 "with codes.") % {"step": where, "offer": offer.name}
    ends = offer_ends_at(offer)
    if not offer.is_active or (ends is not None and ends <= timezone.now()):
        return _("%(step)s: the offer “%(offer)s” has ended or is switched off: choose a current offer.") % {
            "step": where, "offer": offer.name}
    return ""


def _variant_errors(campaign: Campaign, variants: list[VariantIn], messages: list[CampaignMessage],
                    metric: str = "") -> dict:
    from brandkit.services import blocking

    from .services import message_lint

    errors: dict[str, list[str]] = {}
    step = pgettext("ab test", "Variants")
    labels = [v.label for v in variants]
    if len(variants) < MIN_VARIANTS:
        errors["variants"] = [_("%(step)s: an A/B test needs at least two variants to compare; it has %(n)s "
                                "(%(labels)s). Add a variant or remove the test.") % {
            "step": step, "n": len(variants), "labels": ", ".join(labels) or "—"}]
        return errors
    if len(variants) > MAX_VARIANTS:
        errors["variants"] = [_("%(step)s: at most four variants (A to D).") % {"step": step}]
        return errors
    if len(set(labels)) != len(labels) or any(label not in VARIANT_LABELS for label in labels):
        errors["variants"] = [_("%(step)s: name the variants A, B, C and D, each once.") % {"step": step}]
        return errors
    slots = {message_slot(m): m for m in messages}
    source = sent_channel(messages)
    offers = Offer.objects.in_bulk([v.offer_id for v in variants if v.offer_id])
    seen: dict[tuple, str] = {}
    for variant in variants:
        where = _("Variant %(label)s") % {"label": variant.label}
        key = f"variant_{variant.label}"
        own_slots = set()
        if variant.offer_id:
            problem = _offer_problem(campaign, offers.get(variant.offer_id), where)
            if problem:
                errors.setdefault(key, []).append(problem)
        if variant.channel:
            label = MessageChannel(variant.channel).label
            if variant.channel not in VariantChannel.values:
                errors.setdefault(key, []).append(_("%(step)s: a variant goes by email, SMS or LINE.") % {
                    "step": where})
            elif not source:
                errors.setdefault(key, []).append(
                    _("%(step)s: another channel can be tested only when the campaign is sent on one channel "
                      "(email, SMS or LINE); it is sent on none or on several.") % {"step": where})
            elif variant.channel != source:
                languages = sorted({m.language for m in messages if m.channel == source})
                own_slots = {f"{variant.channel}/{language}" for language in languages}
                missing = [slot for slot in sorted(own_slots)
                           if not ((variant.copy or {}).get(slot) or {}).get("body", "").strip()]
                if missing:
                    errors.setdefault(key, []).append(
                        _("%(step)s: it goes by %(channel)s but has no %(channel)s text for %(slots)s: write the "
                          "body it sends.") % {"step": where, "channel": label, "slots": ", ".join(missing)})
                if metric == ABMetric.OPEN_RATE:  # SMS and LINE have no opens: not like with like
                    errors.setdefault("metric", []).append(
                        _("Winner by: %(step)s goes by %(channel)s, where opens are not measured; compare clicks, "
                          "conversions or revenue instead.") % {"step": where, "channel": label})
        for slot, parts in (variant.copy or {}).items():
            if slot not in slots and slot not in own_slots:
                errors.setdefault(f"variant_{variant.label}", []).append(
                    _("%(step)s: the campaign has no message %(slot)s to vary.") % {"step": where, "slot": slot})
                continue
            for name, text in (parts or {}).items():
                if name not in COPY_PARTS:
                    errors.setdefault(f"variant_{variant.label}", []).append(
                        _("%(step)s: only the subject and the body can vary.") % {"step": where})
                    continue
                for problem in template_errors(text or ""):
                    errors.setdefault(f"variant_{variant.label}", []).append(
                        f"{where} · {slot} · {name}: {problem}")
        model = ABVariant(label=variant.label, copy=variant.copy, channel=variant.channel or "")
        effective = [variant.offer_id or None, (variant.channel or source) if variant.channel else source]
        for message in messages:
            varied = variant_message(message, model)
            effective.append((varied.channel, varied.subject, varied.body))
            if varied is not message and f"variant_{variant.label}" not in errors \
                    and not campaign.lint_override_reason:  # "send anyway, for this reason" covers the variants
                ok, violations = message_lint(varied)
                if not ok:
                    found = "; ".join(v.message for v in blocking(violations))
                    errors.setdefault(f"variant_{variant.label}", []).append(
                        _("%(step)s · %(slot)s: the brand check refuses this copy: %(found)s") % {
                            "step": where, "slot": message_slot(message), "found": found})
        key = tuple(effective)
        if key in seen:
            errors.setdefault(f"variant_{variant.label}", []).append(
                _("%(step)s says exactly what variant %(other)s says: change its subject, body, offer or "
                  "channel.") % {
                    "step": where, "other": seen[key]})
        seen.setdefault(key, variant.label)
    return errors


@transaction.atomic
def abtest_save(*, campaign: Campaign, acting_user, variants: list[VariantIn], test_share: int = 20,
                metric: str = ABMetric.CLICK_RATE, decide_after_hours: int | None = None) -> ABTest:
    """Write (or rewrite) the A/B test of a draft campaign; refused with the step named."""
    from .services import _back_to_draft, _require_editable

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_editable(campaign)
    errors: dict[str, list[str]] = {}
    if not isinstance(test_share, int) or not 1 <= test_share <= 100:
        errors["test_share"] = [_("Test share: a whole percentage from 1 to 100.")]
    if metric not in ABMetric.values:
        errors["metric"] = [_("Winner by: choose a metric.")]
    if decide_after_hours is not None and not (isinstance(decide_after_hours, int)
                                               and 1 <= decide_after_hours <= MAX_DECIDE_HOURS):
        errors["decide_after_hours"] = [_("Decision time: from 1 to %(n)s hours, or empty to decide by hand.") % {
            "n": MAX_DECIDE_HOURS}]
    messages = list(campaign.messages.all())
    if not messages:
        errors["variants"] = [_("Variants: write the campaign's messages first; the variants change their copy.")]
    else:
        cleaned = [VariantIn(label=v.label, copy={slot: {name: (text or "").strip() for name, text in parts.items()
                                                         if (text or "").strip()}
                                                  for slot, parts in (v.copy or {}).items()
                                                  if any((text or "").strip() for text in (parts or {}).values())},
                             offer_id=v.offer_id or None, channel=v.channel or "")
                   for v in variants]
        variants = cleaned
        for field_name, problems in _variant_errors(campaign, variants, messages, metric).items():
            errors.setdefault(field_name, []).extend(p for p in problems if p not in errors.get(field_name, []))
    if errors:
        raise CampaignInvalid(errors)
    ab, created = ABTest.objects.update_or_create(campaign=campaign, defaults={
        "test_share": test_share, "metric": metric, "decide_after_hours": decide_after_hours})
    ab.variants.exclude(label__in=[v.label for v in variants]).delete()
    for variant in variants:
        ABVariant.objects.update_or_create(ab_test=ab, label=variant.label, defaults={
            "copy": variant.copy, "offer_id": variant.offer_id, "channel": variant.channel})
    _back_to_draft(campaign)
    campaign.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=acting_user, action="campaign_abtest_save", obj=campaign, changes={
        "variants": [v.label for v in variants], "test_share": test_share, "metric": metric,
        "offers": {v.label: v.offer_id for v in variants if v.offer_id},
        "channels": {v.label: v.channel for v in variants if v.channel},
        "decide_after_hours": decide_after_hours, "created": created})
    return ab


@transaction.atomic
def abtest_remove(*, campaign: Campaign, acting_user) -> None:
    from .services import _back_to_draft, _require_editable

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_editable(campaign)
    deleted, _rows = ABTest.objects.filter(campaign=campaign).delete()
    if deleted:
        _back_to_draft(campaign)
        campaign.save(update_fields=["status", "submitted_at", "updated_at"])
        audit_record(actor=acting_user, action="campaign_abtest_remove", obj=campaign)


def abtest_problems(campaign: Campaign) -> list[str]:
    """Why the campaign's A/B test cannot go out (part of ``campaign_problems``): its variants
    checked again as at save (the messages or the brand kit may have changed since)."""
    ab = ABTest.objects.filter(campaign=campaign).first()
    if ab is None:
        return []
    variants = [VariantIn(label=v.label, copy=v.copy, offer_id=v.offer_id, channel=v.channel)
                for v in ab.variants.all()]
    errors = _variant_errors(campaign, variants, list(campaign.messages.all()), ab.metric)
    return [message for messages in errors.values() for message in messages]


# --- significance -------------------------------------------------------------------------------

def two_proportion_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided p-value of a two-proportion z-test (pooled standard error)."""
    if n_a <= 0 or n_b <= 0:
        return 1.0
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return 1.0  # both all or nothing: no evidence of a difference
    z = (successes_a / n_a - successes_b / n_b) / se
    return math.erfc(abs(z) / math.sqrt(2))


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-14
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def welch_p(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int) -> float:
    """Two-sided p-value of Welch's t-test from each group's mean, sample variance and size."""
    if n_a < 2 or n_b < 2:
        return 1.0
    se2 = var_a / n_a + var_b / n_b
    if se2 == 0:
        return 1.0 if mean_a == mean_b else 0.0
    t = (mean_a - mean_b) / math.sqrt(se2)
    df = se2 ** 2 / ((var_a / n_a) ** 2 / (n_a - 1) + (var_b / n_b) ** 2 / (n_b - 1))
    return regularized_beta(df / (df + t * t), df / 2, 0.5)


# --- results and the verdict --------------------------------------------------------------------

@dataclass
class VariantFigures:
    label: str
    variant_id: int | None
    recipients: int = 0
    sent: int = 0
    skipped: int = 0
    no_consent: int = 0  # skipped for want of an opt-in to the channel (a channel variant's count)
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: int = 0
    revenue_squares: int = 0  # the sum of each recipient's revenue squared (for the variance)
    is_winner: bool = False
    channel: str = ""  # the channel a channel variant goes by ("": the campaign's)
    offer: str = ""  # the name of the offer a variant grants instead of the campaign's

    def successes(self, metric: str) -> int:
        return {ABMetric.OPEN_RATE: self.opened, ABMetric.CLICK_RATE: self.clicked,
                ABMetric.CONVERSION_RATE: self.converted}[metric]

    def value(self, metric: str) -> float | None:
        if not self.delivered:
            return None
        if metric == ABMetric.REVENUE:
            return self.revenue / self.delivered
        return self.successes(metric) / self.delivered

    def revenue_variance(self) -> float:
        n = self.delivered
        if n < 2:
            return 0.0
        mean = self.revenue / n
        return max(0.0, (self.revenue_squares - n * mean * mean) / (n - 1))

    @property
    def open_rate(self):
        if self.channel in (MessageChannel.SMS, MessageChannel.LINE):
            return None  # no opens on SMS or LINE: not 0 %, not measured
        return self.value(ABMetric.OPEN_RATE)

    @property
    def click_rate(self):
        return self.value(ABMetric.CLICK_RATE)

    @property
    def conversion_rate(self):
        return self.value(ABMetric.CONVERSION_RATE)

    @property
    def revenue_per_recipient(self):
        return self.value(ABMetric.REVENUE)


@dataclass
class Verdict:
    metric: str
    leader: str = ""
    runner_up: str = ""
    p_value: float | None = None
    tie: bool = False
    enough: bool = False

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANT

    def sentence(self) -> str:
        """The result in plain words, in the active language."""
        metric = METRIC_IN_SENTENCE[self.metric]
        if not self.enough:
            return _("Too few results yet to compare the variants by %(metric)s.") % {"metric": metric}
        if self.tie:
            return _("%(a)s and %(b)s have the same %(metric)s.") % {"a": self.leader, "b": self.runner_up,
                                                                      "metric": metric}
        values = {"variant": self.leader, "other": self.runner_up, "metric": metric, "chance": chance(self.p_value)}
        if self.significant:
            return _("%(variant)s's %(metric)s is higher; the chance this is luck is %(chance)s.") % values
        return _("%(variant)s's %(metric)s is higher than %(other)s's, but the chance this is luck is "
                 "%(chance)s: too high to call it a real difference.") % values

    def as_dict(self) -> dict:
        return {"metric": self.metric, "leader": self.leader, "runner_up": self.runner_up,
                "p_value": self.p_value, "tie": self.tie, "enough": self.enough, "significant": self.significant}


def chance(p_value: float) -> str:
    """A p-value as people say it: "3 %", "less than 1 %"."""
    percent = p_value * 100
    if percent < 1:
        return _("less than 1 %")
    return _("%(n)s %%") % {"n": round(percent)}


@dataclass
class ABResults:
    ab_test: ABTest
    variants: list[VariantFigures]
    rest: VariantFigures
    verdict: Verdict

    @property
    def sentence(self) -> str:
        return self.verdict.sentence()

    def sentence_in(self, language: str) -> str:
        with translation.override(language):
            return self.verdict.sentence()


def _figures(campaign: Campaign, ab: ABTest, variants: list[ABVariant]) -> tuple[list[VariantFigures], VariantFigures]:
    """Each variant's test figures and the rest's, in two queries (recipients grouped by variant;
    each converted recipient's revenue). Rates are over each variant's own recipients the message
    reached (``delivered``): those skipped — a channel variant's customers without an opt-in to its
    channel — are counted apart, so every variant is measured over people it reached."""
    by_id = {v.pk: VariantFigures(label=v.label, variant_id=v.pk, is_winner=v.pk == ab.winner_id, channel=v.channel,
                                  offer=v.offer.name if v.offer_id else "") for v in variants}
    rest = VariantFigures(label=_("Rest"), variant_id=None)
    rows = (CampaignRecipient.objects.filter(campaign=campaign).values("variant_id").order_by("variant_id").annotate(
        recipients=Count("id"), sent=Count("id", filter=Q(status=RecipientStatus.SENT)),
        skipped=Count("id", filter=Q(status=RecipientStatus.SKIPPED)),
        no_consent=Count("id", filter=Q(status=RecipientStatus.SKIPPED, reason=SkipReason.NO_CONSENT)),
        delivered=Count("id", filter=Q(status=RecipientStatus.SENT, bounced_at__isnull=True)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False))))
    for row in rows:
        figures = by_id.get(row["variant_id"], rest)
        for name in ("recipients", "sent", "skipped", "no_consent", "delivered", "opened", "clicked"):
            setattr(figures, name, row[name])
    earned = (CampaignConversion.objects.filter(campaign=campaign, recipient__isnull=False)
              .values("recipient_id", "recipient__variant_id").order_by().annotate(revenue=Sum("revenue")))
    for row in earned:
        figures = by_id.get(row["recipient__variant_id"], rest)
        figures.converted += 1
        figures.revenue += row["revenue"]
        figures.revenue_squares += row["revenue"] ** 2
    return [by_id[v.pk] for v in variants], rest


def verdict_of(figures: list[VariantFigures], metric: str) -> Verdict:
    """The leader against the runner-up by ``metric``, with the chance the difference is luck."""
    verdict = Verdict(metric=metric)
    measured = [f for f in figures if f.value(metric) is not None]
    if len(measured) < 2 or any(f.delivered < 2 for f in measured):
        return verdict
    ranked = sorted(measured, key=lambda f: (-f.value(metric), f.label))
    leader, runner_up = ranked[0], ranked[1]
    verdict.leader, verdict.runner_up, verdict.enough = leader.label, runner_up.label, True
    if leader.value(metric) == runner_up.value(metric):
        verdict.tie = True
        verdict.p_value = 1.0
        return verdict
    if metric == ABMetric.REVENUE:
        verdict.p_value = welch_p(leader.value(metric), leader.revenue_variance(), leader.delivered,
                                  runner_up.value(metric), runner_up.revenue_variance(), runner_up.delivered)
    else:
        verdict.p_value = two_proportion_p(leader.successes(metric), leader.delivered,
                                           runner_up.successes(metric), runner_up.delivered)
    return verdict


def abtest_results(campaign: Campaign) -> ABResults | None:
    """The test's figures per variant side by side, the rest's, and the verdict (four queries)."""
    ab = ABTest.objects.filter(campaign=campaign).select_related("decided_by").first()
    if ab is None:
        return None
    variants = list(ab.variants.select_related("offer").order_by("label"))
    figures, rest = _figures(campaign, ab, variants)
    return ABResults(ab_test=ab, variants=figures, rest=rest, verdict=verdict_of(figures, ab.metric))


# --- the winner ---------------------------------------------------------------------------------

def decision_due(ab: ABTest, now=None) -> bool:
    now = now or timezone.now()
    return (ab.status == ABStatus.TESTING and ab.decide_after_hours is not None and ab.test_started_at is not None
            and ab.test_started_at + timedelta(hours=ab.decide_after_hours) <= now)


@transaction.atomic
def abtest_send_winner(*, campaign: Campaign, acting_user, label: str = "") -> ABTest:
    """Choose the winner (the leader by the test's metric, or ``label``) and send it to the rest
    of the audience through the sending engine. Refused while test messages are still waiting
    to go out, or when the winner's copy no longer passes the brand check."""
    from .sending import _enqueue_batches, batch_bounds
    from .services import _user, campaign_problems

    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    ab = ABTest.objects.select_for_update().filter(campaign=campaign).first()
    if ab is None:
        raise CampaignError(_("This campaign has no A/B test."))
    if ab.status != ABStatus.TESTING or campaign.status != CampaignStatus.SENDING:
        raise CampaignError(_("The winner can be sent only while the test is running."))
    waiting = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING).count()
    if waiting:
        raise CampaignError(_("%(n)s test messages are still waiting to go out: decide once they are sent.") % {
            "n": waiting})
    results = abtest_results(campaign)
    variants = {v.label: v for v in ab.variants.all()}
    chosen = label or results.verdict.leader or "A"
    if chosen not in variants:
        raise CampaignInvalid({"label": [_("Choose one of the variants: %(labels)s.") % {
            "labels": ", ".join(sorted(variants))}]})
    problems = campaign_problems(campaign, record_lint="campaign")  # every send passes the brand check
    if problems:
        raise CampaignError(" ".join(problems))
    now = timezone.now()
    ab.winner = variants[chosen]
    ab.p_value = results.verdict.p_value
    ab.verdict = {**results.verdict.as_dict(), "chosen": chosen,
                  "figures": {f.label: {"delivered": f.delivered, "value": f.value(ab.metric)}
                              for f in results.variants}}
    ab.decided_at, ab.decided_by, ab.status = now, _user(acting_user), ABStatus.WINNER_SENT
    ab.save()
    reserved = CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.RESERVED)
    source = sent_channel(campaign.messages.all())
    if ab.winner.channel and source and ab.winner.channel != source:  # the rest goes by the winner's channel too
        reserved.filter(channel=source).update(channel=ab.winner.channel)
    released = reserved.update(status=RecipientStatus.PENDING)
    audit_record(actor=acting_user, action="campaign_abtest_winner", obj=campaign, changes={
        "winner": chosen, "p_value": ab.p_value, "rest": released, "automatic": acting_user is None})
    campaign_id = campaign.pk
    transaction.on_commit(lambda: _enqueue_batches(campaign_id, batch_bounds(campaign_id)))
    return ab


def abtests_tick() -> int:
    """Run by ``campaigns_tick``: send the winner of each test whose decision time has come (a
    test still waiting for its own messages is tried again at the next tick)."""
    sent = 0
    for ab in ABTest.objects.filter(status=ABStatus.TESTING, decide_after_hours__isnull=False,
                                    campaign__status=CampaignStatus.SENDING).select_related("campaign"):
        if not decision_due(ab):
            continue
        try:
            abtest_send_winner(campaign=ab.campaign, acting_user=None)
        except CampaignError:
            continue
        sent += 1
    return sent
