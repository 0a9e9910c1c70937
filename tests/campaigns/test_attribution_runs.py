"""Attribution of big ranges as a django-q2 job (campaigns.attribution_runs): the page starts it
and follows a progress bar, the result is kept per (range, window, half-life) and shown again with
a recompute button, a run stopped mid-way resumes without a second row, and the API answers 202
with the run's status URL. Tasks run inline in tests (Q_CLUSTER sync)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import attribution, attribution_runs
from campaigns.models import AttributionRun, ChannelCost
from campaigns.models_attribution import AttributionRunStatus
from kernel import roles
from tests.campaigns.test_attribution_console_api import _buyers
from tests.campaigns.tracking_world import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings):
    settings.ATTRIBUTION_BACKGROUND_TOUCHES = 5  # a handful of touches counts as "big" here


def _params(days: int = 30) -> attribution.Params:
    today = timezone.localdate()
    return attribution.params_validate(start=today - timedelta(days=days - 1), end=today)


def _query(params) -> dict:
    return {"start": params.start.isoformat(), "end": params.end.isoformat(), "window_days": params.window_days,
            "half_life_days": params.half_life_days}


def start(params, **options) -> AttributionRun:
    """Start a run and let its task run (inline: the queue is synchronous in tests)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        run = attribution_runs.attribution_run_start(params=params, **options)
    run.refresh_from_db()
    return run


def test_a_run_stores_each_model_and_its_result_equals_the_computation_in_the_request(shop):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 4, campaign)
    params = _params()
    run = start(params)
    assert run.status == AttributionRunStatus.DONE and run.percent == 100
    assert run.done == run.total == len(attribution.MODELS) + 1
    assert set(run.result["models"]) == set(attribution.MODELS)
    stored, fresh = attribution_runs.run_report(run), attribution.attribution_report(params)
    assert stored.orders == fresh.orders == 4 and stored.touches == fresh.touches
    for kept, computed in ((stored.channels, fresh.channels), (stored.campaigns, fresh.campaigns)):
        assert [(r.key, {m: (round(c.conversions, 9), round(c.revenue, 6)) for m, c in r.credits.items()})
                for r in kept] == [
            (r.key, {m: (round(c.conversions, 9), round(c.revenue, 6)) for m, c in r.credits.items()})
            for r in computed]
    # costs entered after the run count: they are read when the result is shown
    ChannelCost.objects.create(month=timezone.localdate().replace(day=1), channel="email", amount=1000)
    email = next(r for r in attribution_runs.run_report(run).channels if r.key == "email")
    assert email.cost is not None


def test_progress_is_stored_per_model_and_a_stopped_run_resumes_without_a_second_row(shop, monkeypatch):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 3, campaign)
    params = _params()
    seen = []
    real = attribution.attribute_model

    def crash_at_markov(model, *args, **kwargs):
        seen.append((model, AttributionRun.objects.get().done))
        if model == "markov":
            raise RuntimeError("the worker died")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(attribution, "attribute_model", crash_at_markov)
    run = start(params)
    assert run.status == AttributionRunStatus.FAILED and "the worker died" in run.error
    # each model's step was counted as it finished: the bar moved 1 (paths), 2, 3… before markov
    assert [done for model, done in seen if model != "markov"] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert set(run.result["models"]) == set(attribution.MODELS) - {"markov"} and run.done == 6
    computed = []

    def count(model, *args, **kwargs):
        computed.append(model)
        return real(model, *args, **kwargs)

    monkeypatch.setattr(attribution, "attribute_model", count)
    again = start(params)
    assert again.pk == run.pk and AttributionRun.objects.count() == 1
    assert again.status == AttributionRunStatus.DONE and computed == ["markov", "markov"]  # channel and campaign
    # a run whose paths changed meanwhile starts over rather than mixing two readings
    AttributionRun.objects.filter(pk=run.pk).update(status=AttributionRunStatus.FAILED,
                                                    result={**again.result, "totals": {"orders": 99}})
    computed.clear()
    start(params)
    assert len(computed) == 2 * len(attribution.MODELS)


def test_the_page_starts_a_job_for_a_big_range_shows_progress_then_the_kept_result(shop, staff, client,
                                                                                     small_threshold, monkeypatch):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 4, campaign)
    params = _params()
    client.force_login(staff[roles.HQ_MARKETER])
    page = client.get(reverse("console:attribution"), _query(params))
    body = page.content.decode()
    assert page.status_code == 200 and page.context["report"] is None and page.context["background"]
    assert 'hx-trigger="load"' in body and reverse("console:attribution_run_start") in body
    assert not AttributionRun.objects.exists()  # a GET starts nothing by itself
    monkeypatch.setattr(attribution_runs, "_queue", lambda run_id: None)  # the worker has not taken it yet
    started = client.post(reverse("console:attribution_run_start"), _query(params))
    assert started.status_code == 302
    run = AttributionRun.objects.get()
    assert run.status == AttributionRunStatus.QUEUED
    page = client.get(started["Location"])
    assert 'hx-trigger="every 1s"' in page.content.decode() and "<progress" in page.content.decode()
    progress = client.get(reverse("console:attribution_run", args=[run.pk]), headers={"HX-Request": "true"})
    assert progress.status_code == 200 and 'value="0"' in progress.content.decode()
    attribution_runs.attribution_run_execute(run.pk)  # the worker
    done = client.get(reverse("console:attribution_run", args=[run.pk]), headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    page = client.get(reverse("console:attribution"), _query(params))
    assert page.context["report"].orders == 4 and page.context["run"].pk == run.pk
    assert 'name="recompute"' in page.content.decode()
    # opening the same range again reads the kept result: no recomputation, constant queries
    monkeypatch.setattr(attribution, "conversions_read", lambda params: pytest.fail("computed again"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("console:attribution"), _query(params))
    _buyers(shop, 3, campaign, first=300)
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("console:attribution"), _query(params))
    assert len(second.captured_queries) == len(first.captured_queries)


def test_a_range_longer_than_the_limit_goes_to_the_background_and_a_short_one_does_not(shop, settings):
    settings.ATTRIBUTION_BACKGROUND_DAYS = 92
    assert not attribution_runs.needs_background(_params(92))
    assert attribution_runs.needs_background(_params(93))


def test_the_api_starts_a_run_with_202_and_a_status_url_then_gives_the_result(shop, staff, monkeypatch):
    campaign = make_campaign("冬のセール")
    _buyers(shop, 2, campaign)
    client = APIClient()
    client.force_authenticate(staff[roles.HQ_MARKETER])
    params = _params()
    refused = client.post("/api/v1/attribution/runs/", {"start": "2026-13-01", "end": "x"}, format="json")
    assert refused.status_code == 400 and "start" in refused.json()["errors"]
    monkeypatch.setattr(attribution_runs, "_queue", lambda run_id: None)
    started = client.post("/api/v1/attribution/runs/", _query(params), format="json")
    assert started.status_code == 202
    body = started.json()
    assert body["status"] == "queued" and body["percent"] == 0 and body["report"] is None
    assert body["status_url"].endswith(f"/api/v1/attribution/runs/{body['id']}/")
    attribution_runs.attribution_run_execute(body["id"])
    run = client.get(body["status_url"]).json()
    assert run["status"] == "done" and run["percent"] == 100 and run["report"]["orders"] == 2
    assert set(run["report"]["channels"][0]["models"]) == set(attribution.MODELS)
    again = client.post("/api/v1/attribution/runs/", _query(params), format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # kept: not computed again
    recompute = client.post("/api/v1/attribution/runs/", {**_query(params), "recompute": True}, format="json")
    assert recompute.status_code == 202 and recompute.json()["id"] == body["id"]
    assert AttributionRun.objects.count() == 1
    for role in (roles.STORE_STAFF, roles.WAREHOUSE_OPERATOR):
        other = APIClient()
        other.force_authenticate(staff[role])
        assert other.post("/api/v1/attribution/runs/", _query(params), format="json").status_code == 403
        assert other.get(body["status_url"]).status_code == 403
