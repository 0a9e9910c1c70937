from brandkit import demo_kit, services
from brandkit import theme as brand_theme
from brandkit.models import Brand, BrandKitVersion, VersionStatus


def test_theme_falls_back_to_defaults_without_a_kit(db):
    theme = brand_theme.theme()
    assert theme.brand_name == "Omnishop"
    assert theme.colours["primary"] == brand_theme.DEFAULT_COLOURS["primary"]
    assert "--color-primary" in theme.css_variables


def test_seed_default_publishes_a_complete_japanese_kit_once(db):
    kit = services.brandkit_seed_default()
    again = services.brandkit_seed_default()
    assert kit.pk == again.pk
    assert Brand.objects.count() == 1
    assert BrandKitVersion.objects.filter(status=VersionStatus.PUBLISHED).count() == 1
    version = kit.published_version
    assert version.palette.count() == 9
    assert version.rules.filter(kind="banned").exists()
    assert version.rules.filter(kind="preferred").exists()
    assert version.channel_rules["email"]["required"] == ["unsubscribe", "legal_footer"]
    theme = brand_theme.theme()
    assert theme.brand_name == "ミナト商店"
    assert theme.tagline
    assert theme.legal_footer.startswith("株式会社")
    assert "'Noto Sans JP'" in theme.body_font


def test_theme_is_cached_and_publishing_restyles(kit, django_assert_num_queries):
    brand_theme.theme()
    with django_assert_num_queries(0):
        brand_theme.theme()
    draft = services.draft_get_or_create(kit=kit)
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "primary": "#112233"})
    assert brand_theme.theme().colours["primary"] == "#1F4E79"  # a draft changes nothing
    services.version_publish(version=draft)
    assert brand_theme.theme().colours["primary"] == "#112233"
    assert "--color-primary: #112233;" in brand_theme.theme().css_variables


def test_pages_render_with_the_published_brand(kit, client):
    response = client.get("/brand-guide/" + kit.share_token + "/")
    assert response.status_code == 200
    assert "ミナト商店" in response.content.decode()


def test_a_publish_in_another_process_reaches_this_one_after_the_check_interval(kit, monkeypatch, settings,
                                                                                django_assert_num_queries):
    """With the per-process local-memory cache, another process's publish cannot delete our cache
    entry; the active version is re-read at most every BRANDKIT_THEME_CHECK_SECONDS."""
    settings.BRANDKIT_THEME_CHECK_SECONDS = 5
    now = [1_000_000.0]
    monkeypatch.setattr(brand_theme, "_clock", lambda: now[0])
    assert brand_theme.theme().colours["primary"] == "#1F4E79"

    draft = services.draft_get_or_create(kit=kit)
    services.palette_set(version=draft, colours={**demo_kit.DEFAULT_PALETTE, "primary": "#112233"})
    monkeypatch.setattr(brand_theme, "invalidate", lambda: None)  # the publish happens elsewhere
    services.version_publish(version=draft)

    now[0] += 2
    with django_assert_num_queries(0):
        assert brand_theme.theme().colours["primary"] == "#1F4E79"  # still trusted, no query
    now[0] += 4
    assert brand_theme.theme().colours["primary"] == "#112233"
    with django_assert_num_queries(0):
        brand_theme.theme()


def test_theme_costs_one_query_per_check_once_the_version_is_built(kit, monkeypatch, django_assert_num_queries):
    now = [1_000_000.0]
    monkeypatch.setattr(brand_theme, "_clock", lambda: now[0])
    brand_theme.theme()
    now[0] += 3600
    with django_assert_num_queries(1):
        brand_theme.theme()


def test_shared_cache_is_recognised_and_trusted_longer(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://localhost:6379"}}
    assert brand_theme.cache_is_shared() and brand_theme.check_seconds() == brand_theme.CACHE_SECONDS
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not brand_theme.cache_is_shared()


def test_published_logo_becomes_the_sites_logo_and_favicon(kit, client):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGBA", (400, 120), (31, 78, 121, 255)).save(buffer, format="PNG")
    draft = services.draft_get_or_create(kit=kit)
    services.logo_add(version=draft, upload=SimpleUploadedFile("logo.png", buffer.getvalue(), "image/png"))
    services.version_publish(version=draft)

    theme = brand_theme.theme()
    html = client.get("/").content.decode()

    assert theme.favicon_url.endswith("favicon-32.png")
    assert f'<link rel="icon" href="{theme.favicon_url}">' in html
    assert f'src="{theme.logo_url}"' in html
