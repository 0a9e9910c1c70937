import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from brandkit import demo_kit, selectors, services
from brandkit.models import BrandKitVersion, PaletteColour


def test_draft_copies_the_published_version_and_leaves_it_untouched(kit):
    published = kit.published_version
    draft = services.draft_get_or_create(kit=kit)
    assert draft.number == published.number + 1 and draft.is_draft
    assert draft.palette.count() == published.palette.count()
    assert draft.rules.count() == published.rules.count()
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "accent": "#000000"})
    assert published.palette.get(role="accent").hex == "#C8553D"
    assert services.draft_get_or_create(kit=kit).pk == draft.pk  # one draft at a time


def test_published_versions_cannot_be_edited(kit):
    with pytest.raises(ValidationError):
        services.draft_update(version=kit.published_version, identity={"brand_name": "X"})


def test_bad_hex_and_duplicate_roles_are_field_errors_and_nothing_is_saved(draft):
    before = list(draft.palette.values_list("role", "hex"))
    with pytest.raises(ValidationError) as caught:
        services.palette_set(version=draft, colours=[("primary", "#12"), ("text", "#000000"), ("text", "#111111")])
    assert set(caught.value.message_dict) == {"primary", "text"}
    assert list(draft.palette.values_list("role", "hex")) == before


def test_unique_role_per_version_is_a_database_constraint(draft):
    with pytest.raises(IntegrityError):
        PaletteColour.objects.create(version=draft, role="primary", hex="#000000")


def test_a_broken_rule_refuses_the_whole_draft_save(draft):
    rules_before = draft.rules.count()
    with pytest.raises(ValidationError) as caught:
        services.draft_save(version=draft, identity={**draft.identity, "brand_name": "新しい名前"},
                            palette=demo_kit.DEFAULT_PALETTE,
                            rules=[services.RuleIn("banned", "ok"), services.RuleIn("pattern", "(a+)+")])
    assert "rules.1.pattern" in caught.value.message_dict
    draft.refresh_from_db()
    assert draft.identity["brand_name"] == "ミナト商店" and draft.rules.count() == rules_before


def test_publishing_keeps_history_and_diff_names_what_changed(kit, django_capture_on_commit_callbacks):
    draft = services.draft_get_or_create(kit=kit)
    services.draft_update(version=draft, identity={**draft.identity, "tagline": "新しいタグライン"})
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "primary": "#003366"})
    services.rule_add(version=draft, rule=services.RuleIn("banned", "爆安", severity="error"))
    with django_capture_on_commit_callbacks(execute=True):
        services.version_publish(version=draft, note="夏")
    kit.refresh_from_db()
    assert kit.published_version_id == draft.pk
    history = selectors.history_with_diffs(kit)
    assert [v.number for v, _ in history] == [2, 1]
    changes = {(c.path, c.kind) for c in history[0][1]}
    assert ("identity.tagline", "changed") in changes
    assert ("palette.primary", "changed") in changes
    assert ("rules", "added") in changes
    assert BrandKitVersion.objects.filter(kit=kit, status="published").count() == 2


def test_publish_requires_every_colour_role(kit):
    draft = services.draft_get_or_create(kit=kit)
    draft.palette.filter(role="danger").delete()
    with pytest.raises(ValidationError) as caught:
        services.version_publish(version=draft)
    assert "palette" in caught.value.message_dict


def test_more_than_one_brand_each_with_its_own_active_kit(kit):
    other = services.brand_create(name="MINATO OUTLET", slug="outlet")
    second = services.kit_create(brand=other, name="Outlet kit")
    replacement = services.kit_create(brand=other, name="Outlet kit v2")
    second.refresh_from_db()
    assert not second.is_active and replacement.is_active
    kit.refresh_from_db()
    assert kit.is_active
