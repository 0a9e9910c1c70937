import io

import pytest
from django.urls import reverse
from PIL import Image

from brandkit import selectors, services
from brandkit.models import Logo


@pytest.fixture
def hq(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    return client


def png(size=(200, 100), fmt="PNG", colour=(31, 78, 121, 255)):
    buffer = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, colour if fmt == "PNG" else colour[:3]).save(buffer, fmt)
    buffer.seek(0)
    buffer.name = "logo." + fmt.lower()
    return buffer


def test_overview_shows_palette_contrast_and_scores(hq, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        response = hq.get(reverse("console:brandkit:index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "#1F4E79" in body and "bk-level-aaa" in body and 'id="consistency"' in body


def test_store_staff_may_read_but_not_edit(client, staff, kit):
    client.force_login(staff["store_staff"])
    assert client.get(reverse("console:brandkit:index")).status_code == 200
    assert client.get(reverse("console:brandkit:draft")).status_code == 403


def test_customers_cannot_open_the_console_page(client, staff, kit):
    client.force_login(staff["customer"])
    assert client.get(reverse("console:brandkit:index")).status_code == 403


def test_draft_form_with_a_bad_colour_shows_a_field_error_and_saves_nothing(hq):
    page = hq.get(reverse("console:brandkit:draft"))
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update({"colour_primary": "#XYZ", "brand_name": "変更後"})
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["colour_primary"]
    draft = response.context["version"]
    draft.refresh_from_db()
    assert draft.identity["brand_name"] == "ミナト商店"


def test_draft_form_saves_and_publish_restyles(hq):
    page = hq.get(reverse("console:brandkit:draft"))
    data = {name: ("" if value is None else value) for name, value in page.context["form"].initial.items()}
    data.update({"colour_primary": "#0a3d62", "tagline": "新しい毎日を"})
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    assert hq.post(reverse("console:brandkit:publish")).status_code == 302
    theme = selectors.theme()
    assert theme.colours["primary"] == "#0A3D62" and theme.tagline == "新しい毎日を"


def test_check_page_partial_highlights_violations(hq):
    response = hq.get(reverse("console:brandkit:check"), {"text": "激安セール", "channel": "web", "locale": "ja"},
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    body = response.content.decode()
    assert '<mark class="bk-error"' in body and "激安</mark>" in body
    assert "<html" not in body


def test_logo_upload_makes_variants(hq, settings):
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": png(), "name": "Wordmark"})
    assert response.status_code == 302
    logo = Logo.objects.get(name="Wordmark")
    assert {"full", "mono", "reversed", "favicon-16", "favicon-32", "favicon-180"} <= set(logo.variants)


@pytest.mark.parametrize("upload, message", [
    (io.BytesIO(b"not an image at all"), "PNG, JPEG or WebP"),
    (None, "too small"),
])
def test_bad_logo_uploads_are_refused_with_a_field_error(hq, upload, message):
    if upload is None:
        upload = png(size=(20, 20))
    upload.name = getattr(upload, "name", "x.png")
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload})
    assert response.status_code == 400
    assert message in " ".join(response.context["logo_form"].errors["logo"])
    assert not Logo.objects.exists() or Logo.objects.filter(version__status="draft").count() == 0


def test_decompression_bomb_is_refused(hq, monkeypatch):
    from brandkit import assets

    monkeypatch.setattr(assets, "MAX_PIXELS", 10_000)
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": png(size=(200, 100))})
    assert response.status_code == 400
    assert "too many pixels" in " ".join(response.context["logo_form"].errors["logo"])


def test_social_card_downloads_as_png_of_the_right_size(hq):
    response = hq.post(reverse("console:brandkit:assets"), {"kind": "landscape", "headline": "夏の麻シャツ入荷",
                                                            "photo": png(size=(800, 600), fmt="JPEG")})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1200, 630)


def test_share_link_opens_the_guide_and_rotating_it_closes_the_old_one(hq, kit, client):
    old = kit.share_token
    assert client.get(reverse("brandguide:guide", args=[old])).status_code == 200
    hq.post(reverse("console:brandkit:share_rotate"))
    assert client.get(reverse("brandguide:guide", args=[old])).status_code == 404


def test_guide_page_has_print_styles_and_no_inline_style_attributes(client, kit):
    body = client.get(reverse("brandguide:guide", args=[kit.share_token])).content.decode()
    assert "brandkit.css" in body and ' style="' not in body
    assert services.DEFAULT_IDENTITY["mission"] in body
