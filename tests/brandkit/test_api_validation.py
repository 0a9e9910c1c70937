"""API writes of a draft's sections are validated for their shape before anything is saved."""

import pytest

from brandkit.models import BrandKitVersion


@pytest.fixture
def hq_draft(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    draft = client.post(f"/api/v1/brandkit/kits/{kit.pk}/draft/").json()
    return client, draft


def patch(client, draft, body):
    return client.patch(f"/api/v1/brandkit/versions/{draft['id']}/", body, content_type="application/json")


def test_junk_sections_answer_400_with_field_paths_and_nothing_is_saved(hq_draft):
    client, draft = hq_draft
    before = BrandKitVersion.objects.values("identity", "tone", "notation").get(pk=draft["id"])
    response = patch(client, draft, {
        "tone": {"attributes": "junk"},
        "identity": {**draft["identity"], "values": "abc"},
        "notation": {"long_vowel": "maybe"},
    })
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"tone.attributes", "identity.values", "notation.long_vowel"}
    assert BrandKitVersion.objects.values("identity", "tone", "notation").get(pk=draft["id"]) == before


@pytest.mark.parametrize("body, paths", [
    ({"tone": {"attributes": [{"name": "誠実", "do": "ひとつ", "dont": [1]}]}},
     {"tone.attributes.0.do", "tone.attributes.0.dont.0"}),
    ({"tone": {"attributes": [{"description": "名前がない"}, "x"]}}, {"tone.attributes.0.name", "tone.attributes.1"}),
    ({"tone": {"attributes": [{"name": "あ" * 61, "colour": "red"}]}},
     {"tone.attributes.0.name", "tone.attributes.0.colour"}),
    ({"tone": {"attributes": [{"name": f"n{i}"} for i in range(21)]}}, {"tone.attributes"}),
    ({"tone": {"mood": "x"}}, {"tone.mood"}),
    ({"identity": {"brand_name": "ミナト", "values": ["誠実", 3, "長" * 41]}}, {"identity.values.1", "identity.values.2"}),
    ({"identity": {"brand_name": "ミナト", "tagline": ["x"], "story": "あ" * 5001, "motto": "x"}},
     {"identity.tagline", "identity.story", "identity.motto"}),
    ({"identity": {"brand_name": 7}}, {"identity.brand_name"}),
    ({"notation": {"fullwidth_alnum": 1, "kanji": True}}, {"notation.fullwidth_alnum", "notation.kanji"}),
    ({"channel_rules": {"sms": "short"}}, {"channel_rules.sms"}),
    ({"channel_rules": {"sms": {"max_length": 10**9, "emoji": "no", "required": "legal_footer", "tone": 1}}},
     {"channel_rules.sms.max_length", "channel_rules.sms.emoji", "channel_rules.sms.required",
      "channel_rules.sms.tone"}),
    ({"typography": {"body": {"family": "Noto Sans JP", "weight": "bold"}, "colour": "red"}},
     {"typography.body.weight", "typography.colour"}),
    ({"logo_rules": {"min_size_px": 64, "rotate": True}}, {"logo_rules.rotate"}),
    ({"tone": ["x"], "identity": "x"}, {"tone", "identity"}),
])
def test_each_bad_shape_is_named_by_its_path(hq_draft, body, paths):
    client, draft = hq_draft
    response = patch(client, draft, body)
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == paths


def test_well_formed_sections_are_saved(hq_draft):
    client, draft = hq_draft
    tone = {"attributes": [{"name": "温かい", "description": "体温のある言葉で。", "do": ["またどうぞ"], "dont": []}],
            "channels": {"sms": "短く"}}
    response = patch(client, draft, {"tone": tone, "notation": {"long_vowel": False},
                                     "identity": {**draft["identity"], "values": ["誠実", "長持ち"]}})
    assert response.status_code == 200, response.content
    saved = BrandKitVersion.objects.get(pk=draft["id"])
    assert saved.tone == tone and saved.notation == {"long_vowel": False}
    assert saved.identity["values"] == ["誠実", "長持ち"]
