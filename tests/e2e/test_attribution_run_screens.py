"""Attribution of a big range in real Chromium, Japanese and English, phone and desktop: the page
starts the background job by itself (htmx, on load), follows its progress bar, and once the job is
done shows the kept result with the time it was computed and a recompute button."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns import attribution_runs
from campaigns.models import AttributionRun
from campaigns.models_attribution import AttributionRunStatus
from kernel import roles
from tests.campaigns.test_attribution_console_api import _buyers
from tests.campaigns.tracking_world import make_campaign
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot

TEXT = {
    "ja": {"computing": "アトリビューションを計算しています", "recompute": "再計算"},
    "en": {"computing": "Computing the attribution", "recompute": "Recompute"},
}


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_big_range_is_computed_in_the_background_with_a_progress_bar(page, e2e_shop, e2e_staff, login_as,
                                                                       live_server, viewport, language,
                                                                       settings, monkeypatch):
    settings.ATTRIBUTION_BACKGROUND_TOUCHES = 3
    suffix = f"{language}-{'phone' if viewport == PHONE else 'desktop'}"
    _buyers(e2e_shop, 3, make_campaign("冬のセール"))
    queued = []
    monkeypatch.setattr(attribution_runs, "_queue", queued.append)  # the worker takes it when the test says
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    login_as(e2e_staff[roles.HQ_MARKETER])
    today = timezone.localdate()
    query = f"start={today - timedelta(days=29)}&end={today}&window_days=30&half_life_days=7"
    page.goto(f"{live_server.url}/console/attribution/?{query}")
    expect(page.locator("#attribution-run")).to_contain_text(TEXT[language]["computing"])  # started on load
    run = AttributionRun.objects.get()
    AttributionRun.objects.filter(pk=run.pk).update(status=AttributionRunStatus.RUNNING, done=3, step="linear")
    expect(page.locator("#attribution-run progress")).to_have_attribute("value", "3")  # polled every second
    screenshot(page, f"attribution-run-progress-{suffix}")
    page.evaluate("() => document.fonts.ready.then(() => true)")  # no font cut off by the reload that follows
    attribution_runs.attribution_run_execute(queued[0])  # the worker finishes: the page shows the result
    expect(page.get_by_role("button", name=TEXT[language]["recompute"])).to_be_visible(timeout=5000)
    expect(page.locator(".attribution-kept")).to_be_visible()
    screenshot(page, f"attribution-run-kept-{suffix}")
    assert_no_problems(page)
