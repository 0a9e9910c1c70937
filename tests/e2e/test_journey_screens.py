"""The journey editor in real Chromium, Japanese and English, phone and desktop: HQ starts a
ready-made journey, sees its flow (steps, messages per language, the problems on their steps),
adds a wait step with the kind picker, is refused a wait of zero on its field, activates the
journey and sees it running; the customer's 360 page lists the journey they are in."""

import re

import pytest
from django.conf import settings

from campaigns.journey_engine import journeys_run
from campaigns.models import Journey
from tests.campaigns.world import build_world
from tests.e2e.conftest import DESKTOP, PHONE, SHARED_DB, assert_no_problems, screenshot

TEXT = {
    "ja": {"use": "このジャーニーを使う", "add": "ステップを追加", "save": "ステップを保存", "activate": "開始",
           "wait": "待機", "zero": "待機時間は0より長く", "running": "稼働中", "ready": "開始できます",
           "started": "トリガーの条件を満たした顧客が参加します"},
    "en": {"use": "Use this journey", "add": "Add a step", "save": "Save step", "activate": "Activate",
           "wait": "Wait", "zero": "a wait must last longer than zero", "running": "Active",
           "ready": "Ready to be activated", "started": "customers who meet the trigger enter it"},
}


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_hq_builds_and_activates_a_journey(world, page, login_as, live_server, language, viewport):
    text = TEXT[language]
    page.set_default_timeout(20_000)
    login_as(world.author)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto("/console/journeys/")
    screenshot(page, f"journeys-list-{language}-{'phone' if viewport == PHONE else 'desktop'}")
    page.locator("form:has(input[value=review_request]) button").click()
    page.wait_for_url(re.compile(r"/console/journeys/\d+/$"))
    assert page.locator(".flow-step").count() == 2
    assert page.locator(".flow-step.kind-send .chip").count() == 2  # ja and en written
    assert text["ready"] in page.locator("#journey-checks").text_content()
    # a wait step after the message: refused at zero, on its field
    page.locator(".flow-step.kind-send .flow-add").click()
    page.get_by_role("link", name=text["wait"], exact=True).click()
    page.locator("input[name=amount]").fill("0")
    page.get_by_role("button", name=text["save"]).click()
    assert text["zero"] in page.locator("form.card").text_content()
    page.locator("input[name=amount]").fill("2")
    page.get_by_role("button", name=text["save"]).click()
    page.wait_for_url(re.compile(r"/console/journeys/\d+/#step-\d+$"))
    assert page.locator(".flow-step").count() == 3
    page.get_by_role("button", name=text["activate"], exact=True).click()
    page.wait_for_selector(".badge-success")
    assert text["running"] in page.locator("h1").text_content()
    assert text["started"] in page.locator("body").text_content(), "the message in the page's language"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"journey-active-{language}-{'phone' if viewport == PHONE else 'desktop'}")
    with SHARED_DB:
        journey = Journey.objects.get(template="review_request")
        assert journey.status == "active"
    assert_no_problems(page)


def test_the_customers_360_page_lists_their_journeys(world, page, login_as, live_server):
    from campaigns import journeys
    from campaigns.journey_templates import journey_from_template

    with SHARED_DB:
        journey = journey_from_template(key="welcome", acting_user=world.author)
        journeys.journey_activate(journey=journey, acting_user=world.author)
        journeys.journey_enrol(journey=journey, customer=world.people["hanako"], acting_user=world.author)
        journeys_run()
    login_as(world.author)
    page.goto(f"/console/customers/{world.people['hanako'].pk}/")
    card = page.locator("#journeys")
    assert journey.name in card.text_content()
    card.scroll_into_view_if_needed()
    screenshot(page, "customer-360-journeys-ja-phone")
    assert_no_problems(page)
