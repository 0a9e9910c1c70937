"""Which lint checks are recorded, and the consistency score per kit."""

import pytest

from brandkit import selectors, services
from brandkit.models import LintCheck

LINT = "/api/v1/brandkit/lint/"


@pytest.fixture
def outlet(kit):
    """A second brand with its own published kit (not the default brand)."""
    outlet = services.brand_start(name="MINATO OUTLET", slug="outlet")
    draft = outlet.versions.get(status="draft")
    services.rules_set(version=draft, rules=[services.RuleIn("banned", "在庫処分", severity="error")])
    services.version_publish(version=draft)
    outlet.refresh_from_db()
    return outlet


def test_scores_count_only_the_checks_of_the_kit_asked_for(kit, outlet):
    services.lint("良いコピーです。", "web", "ja", record="product-edit")
    services.lint_for_send("激安", "web", "ja", source="campaign")
    for _ in range(3):
        services.lint("激安", "web", "ja", version=outlet.published_version, record="product-edit")

    assert selectors.consistency_scores(kit=kit)["web"]["total"] == 2
    assert selectors.consistency_scores(kit=kit)["web"]["score"] == 50
    assert selectors.consistency_scores(kit=outlet)["web"] == {
        "label": selectors.consistency_scores()["web"]["label"], "total": 3, "score": 100}


def test_scores_without_a_kit_are_the_default_brands(kit, outlet):
    services.lint("激安", "web", "ja", version=outlet.published_version, record="product-edit")
    assert selectors.consistency_scores()["web"]["total"] == 0
    services.brand_set_default(brand=outlet.brand)
    assert selectors.consistency_scores()["web"]["total"] == 1


def test_an_ad_hoc_api_lint_is_not_recorded(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    response = client.post(LINT, {"text": "激安", "channel": "web"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is False
    assert LintCheck.objects.count() == 0


@pytest.mark.parametrize("record", ["save", "send"])
def test_staff_saving_or_sending_copy_through_the_api_is_recorded(client, staff, kit, record):
    client.force_login(staff["store_staff"])
    response = client.post(LINT, {"text": "激安", "channel": "web", "record": record},
                           content_type="application/json")
    assert response.status_code == 200
    check = LintCheck.objects.get()
    assert (check.source, check.channel, check.errors, check.version_id) == (
        f"api-{record}", "web", 1, kit.published_version_id)


def test_a_customer_account_lints_but_cannot_move_the_score(client, staff, kit):
    client.force_login(staff["customer"])
    assert client.post(LINT, {"text": "激安", "channel": "web"}, content_type="application/json").status_code == 200
    refused = client.post(LINT, {"text": "激安", "channel": "web", "record": "save"}, content_type="application/json")
    assert refused.status_code == 403
    assert LintCheck.objects.count() == 0


def test_the_lint_endpoint_is_throttled_per_user(client, staff, kit, settings):
    settings.BRANDKIT_LINT_RATE = "2/minute"
    client.force_login(staff["customer"])
    answers = [client.post(LINT, {"text": "x", "channel": "web"}, content_type="application/json")
               for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].json()["code"] == "throttled" and "Retry-After" in answers[-1].headers
    client.force_login(staff["hq_marketer"])  # another user has their own allowance
    assert client.post(LINT, {"text": "x", "channel": "web"}, content_type="application/json").status_code == 200


def test_scores_endpoint_is_per_kit_and_staff_only(client, staff, kit, outlet):
    services.lint("在庫処分", "sms", "ja", version=outlet.published_version, record="campaign")
    client.force_login(staff["customer"])
    assert client.get(f"/api/v1/brandkit/kits/{kit.pk}/scores/").status_code == 403
    client.force_login(staff["store_staff"])
    rows = {row["channel"]: row for row in client.get(f"/api/v1/brandkit/kits/{outlet.pk}/scores/").json()}
    assert (rows["sms"]["total"], rows["sms"]["score"]) == (1, 0)
    rows = {row["channel"]: row for row in client.get(f"/api/v1/brandkit/kits/{kit.pk}/scores/").json()}
    assert rows["sms"]["total"] == 0 and rows["sms"]["score"] is None
    assert client.get(f"/api/v1/brandkit/kits/{kit.pk}/scores/?days=0").status_code == 400
