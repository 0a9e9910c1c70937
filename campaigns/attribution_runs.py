"""Attribution of big ranges as a django-q2 job with a progress bar, and its result kept.

A range of more than ``ATTRIBUTION_BACKGROUND_DAYS`` days (default 92), or whose touches counted
in one query exceed ``ATTRIBUTION_BACKGROUND_TOUCHES`` (default 200,000), is not computed in the
request: ``attribution_run_start`` queues ``attribution_run_execute`` for the row of that
(range, window, half-life) — one row per key, so opening the same range again shows what was
computed, and a recompute starts the same row afresh (never a second one).

The job reads the paths (``campaigns.attribution.conversions_read``), then computes the models one
by one; after each it stores that model's credits per channel and per campaign in the row and
counts a step (``done`` of ``total``: the console's progress bar and the API's ``percent``). A job
stopped mid-way (a worker killed, the machine restarted) and run again — django-q2 hands a lost task
over again, or a marketer presses "recompute" — reads the paths again and computes only the models
still missing, unless the paths changed meanwhile (their totals differ), when it starts over. The
costs and campaign names are read when the result is shown, so costs entered later count.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import CustomerEvent, EventKind

from . import attribution
from .attribution import MODELS, Credit, Params, Report, Totals
from .models_attribution import AttributionRun, AttributionRunStatus

logger = logging.getLogger(__name__)

STEP_READ = "paths"
STEPS = (STEP_READ, *MODELS)
STALE_AFTER = timedelta(minutes=15)  # a running job that has not moved for this long was lost


def background_days() -> int:
    return getattr(settings, "ATTRIBUTION_BACKGROUND_DAYS", 92)


def background_touches() -> int:
    return getattr(settings, "ATTRIBUTION_BACKGROUND_TOUCHES", 200_000)


def touches_estimate(params: Params) -> int:
    """The customer events the range's paths would read (one COUNT)."""
    start, end = attribution._bounds(params)
    touch_filter = (Q(kind__in=attribution.CAMPAIGN_KINDS, data__campaign__isnull=False)
                    | Q(kind__in=(EventKind.STORE_VISIT, EventKind.COUPON_REDEEMED))
                    | (Q(kind=EventKind.PAGE_VIEWED) & ~Q(utm_source="")))
    return CustomerEvent.objects.filter(touch_filter, customer__isnull=False,
                                        occurred_at__gte=start - timedelta(days=params.window_days),
                                        occurred_at__lt=end).count()


def needs_background(params: Params) -> bool:
    """Whether the range is too big to compute in a request (at most one COUNT)."""
    if (params.end - params.start).days + 1 > background_days():
        return True
    return touches_estimate(params) > background_touches()


def run_for(params: Params) -> AttributionRun | None:
    return AttributionRun.objects.filter(start=params.start, end=params.end, window_days=params.window_days,
                                         half_life_days=params.half_life_days).first()


def run_params(run: AttributionRun) -> Params:
    return Params(start=run.start, end=run.end, window_days=run.window_days, half_life_days=run.half_life_days)


def is_stale(run: AttributionRun, now=None) -> bool:
    return run.is_running and run.updated_at < (now or timezone.now()) - STALE_AFTER


def attribution_run_start(*, params: Params, acting_user=None, recompute: bool = False) -> AttributionRun:
    """Queue the computation of ``params`` (the row of that key, made or started again). A run
    already done is left as it is unless ``recompute``; one running is left to finish unless it
    stopped moving (``STALE_AFTER``)."""
    with transaction.atomic():
        run, created = AttributionRun.objects.select_for_update().get_or_create(
            start=params.start, end=params.end, window_days=params.window_days,
            half_life_days=params.half_life_days,
            defaults={"total": len(STEPS), "requested_by": _user(acting_user)})
        if not created:
            if run.status == AttributionRunStatus.DONE and not recompute:
                return run
            if run.is_running and not is_stale(run):
                return run
            keep = run.result if run.status != AttributionRunStatus.DONE else {}  # a stopped run resumes
            run.status, run.done, run.step, run.error, run.result = AttributionRunStatus.QUEUED, 0, "", "", keep
            run.total, run.started_at, run.finished_at = len(STEPS), None, None
            run.requested_by = _user(acting_user) or run.requested_by
            run.save()
        run_id = run.pk
        transaction.on_commit(lambda: _queue(run_id))
    return run


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def _queue(run_id: int) -> None:
    from django_q.tasks import async_task

    async_task("campaigns.attribution_runs.attribution_run_execute", run_id, task_name=f"attribution-run-{run_id}")


def _progress(run_id: int, **fields) -> None:
    AttributionRun.objects.filter(pk=run_id).update(updated_at=timezone.now(), **fields)


def attribution_run_execute(run_id: int) -> str:
    """Task: compute the run's models, storing each as it finishes. Safe to run again: a run done
    is left alone; one stopped mid-way computes only the models it lacks (same paths)."""
    run = AttributionRun.objects.get(pk=run_id)
    if run.status == AttributionRunStatus.DONE:
        return run.status
    params = run_params(run)
    _progress(run_id, status=AttributionRunStatus.RUNNING, started_at=timezone.now(), step=STEP_READ, done=0,
              total=len(STEPS), error="")
    try:
        conversions, lost = attribution.conversions_read(params)
        totals = attribution.totals_of(conversions, lost)
        result = dict(run.result or {})
        if result.get("totals") != totals.__dict__:  # other paths than the stopped run's: start over
            result = {"totals": totals.__dict__, "models": {}}
        stored = result.setdefault("models", {})
        _progress(run_id, result=result, done=1 + sum(1 for model in MODELS if model in stored))
        for model in MODELS:
            if model in stored:
                continue
            _progress(run_id, step=model)
            stored[model] = {
                scope: credits_json(attribution.attribute_model(model, conversions, lost,
                                                                half_life_days=params.half_life_days, key=key))
                for scope, key in (("channel", attribution.channel_key), ("campaign", attribution.campaign_key))}
            _progress(run_id, result=result, done=1 + sum(1 for m in MODELS if m in stored))
    except Exception as exc:  # a visible failure on the page, never a silent one
        logger.exception("Attribution run %s failed", run_id)
        _progress(run_id, status=AttributionRunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                  finished_at=timezone.now())
        return AttributionRunStatus.FAILED
    _progress(run_id, status=AttributionRunStatus.DONE, step="", done=len(STEPS), finished_at=timezone.now())
    return AttributionRunStatus.DONE


def credits_json(table: dict[str, Credit]) -> dict[str, list[float]]:
    return {key: [credit.conversions, credit.revenue] for key, credit in table.items()}


def run_report(run: AttributionRun) -> Report | None:
    """The stored result as the page's report, with today's costs and campaign names (two queries)."""
    if run.status != AttributionRunStatus.DONE or not run.result.get("models"):
        return None
    stored = run.result["models"]

    def scope(name: str) -> dict[str, dict[str, Credit]]:
        return {model: {key: Credit(conversions=values[0], revenue=values[1])
                        for key, values in stored.get(model, {}).get(name, {}).items()} for model in MODELS}

    totals = Totals(**run.result["totals"])
    return attribution.report_from_credits(run_params(run), totals, scope("channel"), scope("campaign"))


def step_label(step: str) -> str:
    """What the job is doing now, in words."""
    from django.utils.translation import gettext

    if step == STEP_READ:
        return gettext("Reading the orders and touches")
    if step in attribution.MODEL_LABELS:
        return str(attribution.MODEL_LABELS[step])
    return ""
