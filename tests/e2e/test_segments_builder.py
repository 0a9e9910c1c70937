"""The segment builder in real Chromium: adding a condition and choosing its field re-render the
editor without a page load, the live count follows, saving lands on the segment's page (phone
and desktop screenshots of the list, builder, detail and personas)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers import segments
from customers.models import Customer, Segment
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_problems, screenshot


@pytest.fixture
def marketing_world(e2e_shop, e2e_staff):
    for i, prefecture in enumerate(["13", "13", "14", "27", "01"]):
        Customer.objects.create(email=f"p{i}@example.jp", family_name="山田", given_name=f"花子{i}",
                                prefecture=prefecture, city="渋谷区", interests=["リネン"] if i % 2 else [])
    persona = segments.persona_create(name="週末の街歩き派", summary="30代・首都圏・週末に来店",
                                      goals="長く着られる上質な服", preferred_channels=["line", "email"],
                                      messages="新作入荷と店舗イベントの案内")
    segments.segment_create(name="首都圏の顧客", persona=persona, rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13", "14"]}]}]})
    segments.segment_create(name="VIP 固定リスト", kind="static")
    return e2e_staff


def settled(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added')")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_build_a_segment_with_a_live_count(page, marketing_world, login_as, viewport):
    login_as(marketing_world["hq_marketer"])
    suffix = "phone" if viewport == PHONE else "desktop"
    page.goto(reverse("console:segments"))
    screenshot(page, f"segments-list-{suffix}")
    page.goto(reverse("console:segment_create"))
    page.locator("#live .form-errors").wait_for()  # nothing chosen yet in the prefecture list
    page.select_option("select[name=g0-c0-value]", ["13", "14"])
    expect(page.locator("#live .live-count")).to_have_text("3")
    page.get_by_role("button", name="条件を追加").click()
    page.locator("select[name=g0-c1-field]").wait_for()
    settled(page)  # htmx binds the new row's select when the swap has settled
    page.select_option("select[name=g0-c1-field]", "interests")
    page.locator("input[name=g0-c1-value]").wait_for()
    page.fill("input[name=g0-c1-value]", "リネン")
    expect(page.locator("#live .live-count")).to_have_text("1")
    page.fill("input[name=name]", f"首都圏のリネン好き {suffix}")
    screenshot(page, f"segments-builder-{suffix}")
    page.get_by_role("button", name="セグメントを保存").click()
    page.wait_for_url("**/segments/*/")
    segment = Segment.objects.get(name=f"首都圏のリネン好き {suffix}")
    assert [c["field"] for c in segment.rules["groups"][0]["conditions"]] == ["prefecture", "interests"]
    screenshot(page, f"segments-detail-{suffix}")
    page.goto(reverse("console:segment_detail", args=[Segment.objects.get(name="首都圏の顧客").pk]))
    assert "週末の街歩き派" in page.content()
    screenshot(page, f"segments-detail-persona-{suffix}")
    page.goto(reverse("console:personas"))
    screenshot(page, f"segments-personas-{suffix}")
    assert_no_problems(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_segment_opens_in_the_customer_list_and_filters_it(page, marketing_world, login_as, viewport):
    """From the segment's page to the customer list filtered by it; the filter bar then narrows by
    RFM without a page load (htmx) and keeps the segment."""
    login_as(marketing_world["hq_marketer"])
    suffix = "phone" if viewport == PHONE else "desktop"
    segment = Segment.objects.get(name="首都圏の顧客")
    page.goto(reverse("console:segment_detail", args=[segment.pk]))
    page.get_by_role("link", name="顧客一覧で開く").click()
    page.wait_for_url(f"**/customers/?segment={segment.pk}")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    expect(page.locator("select[name=segment]")).to_have_value(str(segment.pk))
    screenshot(page, f"customers-list-segment-{suffix}")
    with page.expect_response(lambda r: "rfm=none" in r.url):
        page.select_option("select[name=rfm]", "none")  # nobody has ordered: all three stay
    expect(page.locator("#results tbody tr")).to_have_count(3)
    with page.expect_response(lambda r: "rfm=champions" in r.url):
        page.select_option("select[name=rfm]", "champions")
    expect(page.locator("#results tbody tr td.empty")).to_have_count(1)
    assert "segment=" in page.url and "rfm=champions" in page.url
    screenshot(page, f"customers-list-rfm-{suffix}")
    assert_no_problems(page)
