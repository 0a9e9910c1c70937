"""A channel that requires the legal footer needs the kit's footer text to check against."""

import pytest
from django.core.exceptions import ValidationError

from brandkit import demo_kit, services
from brandkit.linting import CompiledKit
from brandkit.models import BrandKitVersion


def test_saving_a_draft_without_the_footer_its_channels_require_is_refused(draft):
    with pytest.raises(ValidationError) as caught:
        services.draft_update(version=draft, identity={**draft.identity, "legal_footer": "  "})
    assert list(caught.value.message_dict) == ["identity.legal_footer"]
    draft.refresh_from_db()
    assert draft.identity["legal_footer"] == demo_kit.DEFAULT_IDENTITY["legal_footer"]


def test_requiring_the_footer_on_a_kit_without_one_is_refused(db):
    kit = services.brand_start(name="MINATO OUTLET", slug="outlet")
    draft = kit.versions.get(status="draft")
    with pytest.raises(ValidationError) as caught:
        services.draft_update(version=draft, channel_rules={"*": {"required": ["legal_footer"]}})
    assert "identity.legal_footer" in caught.value.message_dict
    services.draft_update(version=draft, identity={"brand_name": "MINATO OUTLET", "legal_footer": "株式会社ミナト"},
                          channel_rules={"*": {"required": ["legal_footer"]}})
    draft.refresh_from_db()
    assert draft.channel_rules == {"*": {"required": ["legal_footer"]}}


def test_publishing_a_draft_without_the_required_footer_is_refused(draft):
    # A draft saved before the check existed (the services no longer write one like it).
    BrandKitVersion.objects.filter(pk=draft.pk).update(identity={**draft.identity, "legal_footer": ""})
    with pytest.raises(ValidationError) as caught:
        services.version_publish(version=draft)
    assert "identity.legal_footer" in caught.value.message_dict
    draft.refresh_from_db()
    assert draft.is_draft


def test_the_api_answers_400_for_the_missing_footer(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    draft = client.post(f"/api/v1/brandkit/kits/{kit.pk}/draft/").json()
    response = client.patch(f"/api/v1/brandkit/versions/{draft['id']}/",
                            {"identity": {**draft["identity"], "legal_footer": ""}}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["identity.legal_footer"]


def test_a_kit_kept_from_before_that_requires_a_footer_it_lacks_fails_the_check():
    kit = CompiledKit.build(rules=[], channel_rules={"postcard": {"required": ["legal_footer"]}}, notation={},
                            legal_footer="")
    [violation] = kit.lint("秋の新作のご案内", "postcard", "ja")
    assert (violation.rule, violation.severity) == ("required.legal_footer", "error")
    assert kit.lint("秋の新作のご案内", "web", "ja") == []
