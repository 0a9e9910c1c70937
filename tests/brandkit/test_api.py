import pytest

from brandkit.models import BrandKitVersion


@pytest.fixture
def api(client, staff, kit):
    def as_user(role):
        client.force_login(staff[role])
        return client
    return as_user


def test_any_authenticated_user_reads_kits_and_versions(api, kit):
    client = api("store_staff")
    assert client.get("/api/v1/brandkit/kits/").json()["results"][0]["id"] == kit.pk
    version = client.get(f"/api/v1/brandkit/versions/{kit.published_version_id}/").json()
    assert len(version["palette"]) == 9 and version["rules"]


def test_anonymous_is_refused(client, kit):
    assert client.get("/api/v1/brandkit/kits/").status_code in (401, 403)


def test_store_staff_cannot_write(api, kit):
    response = api("store_staff").post(f"/api/v1/brandkit/kits/{kit.pk}/draft/")
    assert response.status_code == 403


def test_hq_edits_a_draft_and_gets_field_errors_for_bad_input(api, kit):
    client = api("hq_marketer")
    draft = client.post(f"/api/v1/brandkit/kits/{kit.pk}/draft/").json()
    bad = client.put(f"/api/v1/brandkit/versions/{draft['id']}/palette/",
                     {"colours": [{"role": "primary", "hex": "zz"}]}, content_type="application/json")
    assert bad.status_code == 400 and "colours.0.hex" in bad.json()["errors"]
    bad_rule = client.put(f"/api/v1/brandkit/versions/{draft['id']}/rules/",
                          {"rules": [{"kind": "pattern", "pattern": "(a+)+$"}]}, content_type="application/json")
    assert bad_rule.status_code == 400 and "rules.0.pattern" in bad_rule.json()["errors"]
    ok = client.put(f"/api/v1/brandkit/versions/{draft['id']}/rules/",
                    {"rules": [{"kind": "banned", "pattern": "爆安", "severity": "error"}]},
                    content_type="application/json")
    assert ok.status_code == 200 and [r["pattern"] for r in ok.json()["rules"]] == ["爆安"]
    published = client.post(f"/api/v1/brandkit/versions/{draft['id']}/publish/")
    assert published.status_code == 200
    assert BrandKitVersion.objects.get(pk=draft["id"]).status == "published"


def test_lint_endpoint_returns_violations(api):
    response = api("store_staff").post("/api/v1/brandkit/lint/", {"text": "激安！！", "channel": "sms", "locale": "ja"},
                                       content_type="application/json")
    assert response.status_code == 200
    rules = {v["rule"] for v in response.json()["violations"]}
    assert {"banned_term", "exclamation"} <= rules
    assert response.json()["score"] < 100


@pytest.mark.parametrize("body", [{"text": "x", "channel": "fax"}, {"channel": "web"}, {"text": "x"}])
def test_lint_endpoint_400_on_bad_input(api, body):
    response = api("store_staff").post("/api/v1/brandkit/lint/", body, content_type="application/json")
    assert response.status_code == 400
