"""Several brands in the console: creating one, switching with the brand switcher (a POST,
remembered in the session; a GET switches nothing), making one the default (the theme follows),
and who may do what."""

import pytest
from django.urls import reverse

from brandkit import demo_kit, services
from brandkit import theme as brand_theme
from brandkit.models import Brand, BrandKit, BrandKitVersion
from brandkit.views.console import SESSION_KIT


@pytest.fixture
def hq(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    return client


@pytest.fixture
def second_kit(kit):
    """A second brand with a published kit of its own colours (not the default)."""
    other = services.brand_start(name="SORA", slug="sora")
    draft = other.versions.get(status="draft")
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "primary": "#123456"})
    services.version_publish(version=draft)
    other.refresh_from_db()
    return other


def test_store_staff_get_403_on_every_brand_kit_write(client, staff, kit, second_kit):
    client.force_login(staff["store_staff"])
    brands = Brand.objects.count()
    writes = [
        (reverse("console:brandkit:brand_create"), {"name": "Nope", "slug": "nope"}),
        (reverse("console:brandkit:brand_default", args=[second_kit.brand.pk]), {}),
        (reverse("console:brandkit:draft"), {"brand_name": "x"}),
        (reverse("console:brandkit:publish"), {}),
        (reverse("console:brandkit:share_rotate"), {}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert Brand.objects.count() == brands
    assert Brand.objects.get(is_default=True) == kit.brand
    assert not BrandKitVersion.objects.filter(kit=kit, status="draft").exists()


def test_brand_writes_refuse_get(hq, second_kit):
    assert hq.get(reverse("console:brandkit:brand_create")).status_code == 405
    assert hq.get(reverse("console:brandkit:brand_default", args=[second_kit.brand.pk])).status_code == 405


def test_hq_creates_a_brand_and_lands_on_its_draft(hq, kit):
    response = hq.post(reverse("console:brandkit:brand_create"), {"name": "Umi Works", "slug": "umi"})
    assert response.status_code == 302 and response.url == reverse("console:brandkit:draft")
    brand = Brand.objects.get(slug="umi")
    new_kit = brand.kits.get(is_active=True)
    assert not brand.is_default and Brand.objects.get(is_default=True) == kit.brand
    assert hq.session[SESSION_KIT] == new_kit.pk
    page = hq.get(reverse("console:brandkit:draft"))
    assert page.context["kit"] == new_kit
    assert page.context["version"].is_draft and page.context["version"].identity["brand_name"] == "Umi Works"
    assert 'class="bk-brand-bar"' in page.content.decode()  # two brands: the page says which one


def test_creating_a_brand_with_a_taken_slug_changes_nothing_and_says_why(hq, kit):
    hq.cookies["django_language"] = "en"
    response = hq.post(reverse("console:brandkit:brand_create"), {"name": "Copy", "slug": kit.brand.slug},
                       follow=True)
    assert Brand.objects.count() == 1
    assert "already exists" in response.content.decode()


def test_a_new_default_brand_without_a_published_kit_leaves_the_theme_alone(hq, kit):
    hq.post(reverse("console:brandkit:brand_create"), {"name": "Umi", "slug": "umi", "is_default": "on"})
    assert Brand.objects.get(is_default=True).slug == "umi"
    # Its kit is not published yet: the theme keeps to a published kit, never a draft.
    assert brand_theme.theme().brand_name == "ミナト商店"


def switch(client, kit_id, headers=None):
    return client.post(reverse("console:brandkit:kit_switch"), {"kit": kit_id}, headers=headers or {})


def test_the_switcher_switches_the_kit_and_the_session_remembers_it(hq, kit, second_kit):
    assert hq.get(reverse("console:brandkit:index")).context["kit"] == kit
    response = switch(hq, second_kit.pk)
    assert response.status_code == 302 and response.url == reverse("console:brandkit:index")
    assert hq.session[SESSION_KIT] == second_kit.pk
    page = hq.get(reverse("console:brandkit:index"))
    assert page.context["kit"] == second_kit and page.context["version"].pk == second_kit.published_version_id
    for name in ("history", "check", "assets", "draft"):
        assert hq.get(reverse(f"console:brandkit:{name}")).context["kit"] == second_kit, name
    switch(hq, kit.pk)
    assert hq.get(reverse("console:brandkit:history")).context["kit"] == kit


def test_with_htmx_the_switcher_sends_the_browser_to_the_overview(hq, kit, second_kit):
    response = switch(hq, second_kit.pk, {"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("console:brandkit:index")
    assert hq.session[SESSION_KIT] == second_kit.pk


def test_a_get_switches_nothing(hq, kit, second_kit):
    """The old ``?kit=`` links and a GET of the switcher's URL leave the chosen kit alone."""
    switch(hq, second_kit.pk)
    page = hq.get(reverse("console:brandkit:index"), {"kit": kit.pk})
    assert page.context["kit"] == second_kit and hq.session[SESSION_KIT] == second_kit.pk
    assert hq.get(reverse("console:brandkit:kit_switch"), {"kit": kit.pk}).status_code == 405
    assert hq.session[SESSION_KIT] == second_kit.pk


def test_the_switcher_needs_the_csrf_token(client, staff, kit, second_kit):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff["hq_marketer"])
    assert switch(browser, second_kit.pk).status_code == 403
    assert SESSION_KIT not in browser.session


def test_store_staff_may_switch_the_kit_they_look_at(client, staff, kit, second_kit):
    client.force_login(staff["store_staff"])  # they may view the brand kit, so they may choose which
    assert switch(client, second_kit.pk).status_code == 302
    assert client.get(reverse("console:brandkit:index")).context["kit"] == second_kit


@pytest.mark.parametrize("wanted", ["999999", "abc", ""])
def test_an_unknown_kit_is_404_and_forgets_nothing(hq, second_kit, wanted):
    switch(hq, second_kit.pk)
    assert switch(hq, wanted).status_code == 404
    assert hq.session[SESSION_KIT] == second_kit.pk


def test_a_retired_kit_in_the_session_falls_back_to_the_default(hq, kit, second_kit):
    switch(hq, second_kit.pk)
    BrandKit.objects.filter(pk=second_kit.pk).update(is_active=False)
    assert hq.get(reverse("console:brandkit:index")).context["kit"] == kit


def test_make_default_moves_the_theme_to_that_brand(hq, kit, second_kit):
    assert brand_theme.theme().colours["primary"] == "#1F4E79"
    response = hq.post(reverse("console:brandkit:brand_default", args=[second_kit.brand.pk]))
    assert response.status_code == 302
    assert list(Brand.objects.filter(is_default=True)) == [second_kit.brand]
    theme = brand_theme.theme()
    assert theme.colours["primary"] == "#123456" and theme.version_id == second_kit.published_version_id
    # The storefront renders with it too.
    assert "--color-primary: #123456;" in hq.get("/").content.decode()


def test_the_brand_list_offers_make_default_only_for_other_brands(hq, kit, second_kit):
    body = hq.get(reverse("console:brandkit:index")).content.decode()
    assert reverse("console:brandkit:brand_default", args=[second_kit.brand.pk]) in body
    assert reverse("console:brandkit:brand_default", args=[kit.brand.pk]) not in body
    # "Open" on another brand is a switcher form (a POST with the CSRF token), not a link.
    assert f'action="{reverse("console:brandkit:kit_switch")}"' in body
    assert f'name="kit" value="{second_kit.pk}"' in body and f'name="kit" value="{kit.pk}"' not in body
    assert "?kit=" not in body


def test_history_labels_changes_in_words_not_paths(hq, kit):
    hq.cookies["django_language"] = "en"
    draft = services.draft_get_or_create(kit=kit)
    services.draft_update(version=draft, channel_rules={**draft.channel_rules, "sms": {
        **draft.channel_rules["sms"], "max_length": 60}})
    services.version_publish(version=draft, note="SMS shorter")
    body = hq.get(reverse("console:brandkit:history")).content.decode()
    assert "Channel rules › SMS › Maximum length" in body
    assert "<del>70</del>" in body and "<ins>60</ins>" in body
    assert "channel_rules.sms" not in body
    assert 'data-label="Before"' in body and 'data-label="After"' in body
    assert "The first published version" in body  # v1 is shown whole, behind a disclosure


def test_history_labels_are_japanese_in_japanese(hq, kit):
    draft = services.draft_get_or_create(kit=kit)
    services.draft_update(version=draft, channel_rules={**draft.channel_rules, "sms": {
        **draft.channel_rules["sms"], "max_length": 60}})
    services.version_publish(version=draft)
    body = hq.get(reverse("console:brandkit:history")).content.decode()
    assert "Channel rules" not in body and "Maximum length" not in body
    assert "SMS" in body


def test_an_unpublished_brand_is_not_offered_as_default_and_says_so_if_made_one(hq, kit):
    hq.cookies["django_language"] = "en"
    other = services.brand_start(name="Umi", slug="umi")
    url = reverse("console:brandkit:brand_default", args=[other.brand.pk])
    assert url not in hq.get(reverse("console:brandkit:index")).content.decode()
    body = hq.post(url, follow=True).content.decode()
    assert "Its kit is not published yet" in body
    assert brand_theme.theme().brand_name == "ミナト商店"
