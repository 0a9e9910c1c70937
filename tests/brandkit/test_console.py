import io

import pytest
from django.urls import reverse
from PIL import Image

from brandkit import demo_kit, services
from brandkit import theme as brand_theme
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
    theme = brand_theme.theme()
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


def logo_error_codes(response) -> set[str]:
    """Error codes of the logo field (the messages are translated; the codes are not)."""
    return {error.code for error in response.context["logo_form"].errors.as_data()["logo"]}


@pytest.mark.parametrize("upload, code", [
    (io.BytesIO(b"not an image at all"), "not_image"),
    (None, "too_small"),
])
def test_bad_logo_uploads_are_refused_with_a_field_error(hq, upload, code):
    if upload is None:
        upload = png(size=(20, 20))
    upload.name = getattr(upload, "name", "x.png")
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload})
    assert response.status_code == 400
    assert code in logo_error_codes(response)
    assert 'class="errorlist' in response.content.decode()
    assert not Logo.objects.exists() or Logo.objects.filter(version__status="draft").count() == 0


def test_decompression_bomb_is_refused(hq, monkeypatch):
    from brandkit import assets

    monkeypatch.setattr(assets, "MAX_PIXELS", 10_000)
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": png(size=(200, 100))})
    assert response.status_code == 400
    assert logo_error_codes(response) == {"bomb"}


def test_logo_error_is_readable_in_english_when_english_is_chosen(hq):
    hq.cookies["django_language"] = "en"
    upload = io.BytesIO(b"not an image at all")
    upload.name = "x.png"
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload})
    assert "Upload a PNG, JPEG or WebP image." in response.content.decode()


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
    assert demo_kit.DEFAULT_IDENTITY["mission"] in body


def form_post_data(form) -> dict:
    """A rendered form's initial values as a browser would post them back."""
    data = {}
    for name, value in form.initial.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def draft_data(client) -> dict:
    """The draft form as the page renders it, ready to post back."""
    return form_post_data(client.get(reverse("console:brandkit:draft")).context["form"])


def test_channel_tone_templates_and_logo_rules_are_edited_in_the_draft_and_shown_on_the_guide(hq, kit, client):
    data = draft_data(hq)
    data.update({"tone_sms": "短く、丁寧に。", "template_sms_signature": "【MINATO】",
                 "template_email_header": "今週のお知らせ", "template_pop_sign": "A5横。価格は右下。",
                 "template_postcard_layout": "裏面に地図", "excl_social": "3", "req_postcard": ["legal_footer"],
                 "logo_min_size_px": "48", "logo_clear_space": "ロゴ高さの1倍"})
    data.pop("emoji_social", None)
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    draft = kit.versions.get(status="draft")
    assert draft.tone["channels"]["sms"] == "短く、丁寧に。"
    assert draft.channel_templates["sms"] == {"signature": "【MINATO】"}
    assert draft.channel_templates["email"]["header"] == "今週のお知らせ"
    assert draft.channel_rules["social"]["exclamation_max"] == 3 and draft.channel_rules["social"]["emoji"] is False
    assert draft.logo_rules == {"min_size_px": 48, "clear_space": "ロゴ高さの1倍"}
    assert draft.tone["attributes"] == demo_kit.DEFAULT_TONE["attributes"]  # untouched sections stay

    assert hq.post(reverse("console:brandkit:publish")).status_code == 302
    kit.refresh_from_db()
    body = client.get(reverse("brandguide:guide", args=[kit.share_token])).content.decode()
    for text in ("短く、丁寧に。", "【MINATO】", "今週のお知らせ", "A5横。価格は右下。", "裏面に地図", "ロゴ高さの1倍",
                 'id="guide-channel-postcard"', 'id="ugc"', demo_kit.DEFAULT_UGC[:20]):
        assert text in body
    assert brand_theme.theme().sms_signature == "【MINATO】"


def test_a_bad_channel_template_is_a_field_error_and_nothing_is_saved(hq, kit, draft):
    data = draft_data(hq)
    data.update({"template_sms_signature": "【" + "ミ" * 40 + "】", "tone_sms": "変更", "brand_name": "変更後"})
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200
    assert response.context["form"].errors.as_data()["template_sms_signature"][0].code == "max_length"
    data.update({"template_sms_signature": "【ミナト商店・横浜】", "max_sms": "8"})
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.context["form"].errors.as_data()["template_sms_signature"][0].code == "signature_too_long"
    assert 'id="channel-sms"' in response.content.decode()
    draft = kit.versions.get(status="draft")
    assert draft.identity["brand_name"] == "ミナト商店"
    assert draft.tone["channels"]["sms"] == demo_kit.DEFAULT_TONE["channels"]["sms"]
    assert draft.channel_templates == demo_kit.DEFAULT_TEMPLATES


def test_service_errors_land_on_the_channel_fields():
    from django.core.exceptions import ValidationError

    from brandkit.forms import DraftForm

    form = DraftForm(data={})
    form.is_valid()
    form.add_service_errors(ValidationError({"channel_templates.pop.sign": "x", "tone.channels.sms": "y",
                                             "logo_rules.min_size_px": "z"}))
    assert {"template_pop_sign", "tone_sms", "logo_min_size_px"} <= set(form.errors)


def test_services_refuse_unknown_channels_and_template_fields(draft):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.draft_update(version=draft, channel_templates={"fax": {"x": "y"}, "sms": {"layout": "?"}},
                              tone={"channels": {"sms": 5}}, logo_rules={"min_size_px": 0})
    assert {"channel_templates.fax", "channel_templates.sms.layout", "tone.channels.sms",
            "logo_rules.min_size_px"} <= set(caught.value.message_dict)


def test_overview_flags_failing_contrast_pairs_and_shows_channels(hq, kit):
    hq.cookies["django_language"] = "en"
    body = hq.get(reverse("console:brandkit:index")).content.decode()
    assert 'class="bk-row-fail"' in body and "White (button text)" in body
    assert 'id="guide-channel-sms"' in body and "【ミナト商店】" in body


def test_tone_attributes_and_fonts_are_edited_in_the_draft(hq, kit):
    data = draft_data(hq)
    data.update({"tone_attributes": "温かい | 体温のある言葉で。 | ご来店お待ちしています; またどうぞ | 来い！",
                 "heading_family": "Noto Serif JP", "font_fallbacks": "Yu Mincho, serif"})
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    draft = kit.versions.get(status="draft")
    assert draft.tone["attributes"] == [{"name": "温かい", "description": "体温のある言葉で。",
                                         "do": ["ご来店お待ちしています", "またどうぞ"], "dont": ["来い！"]}]
    assert draft.typography["heading"] == {"family": "Noto Serif JP", "weight": 700,
                                           "fallbacks": ["Yu Mincho", "serif"]}


def test_a_font_name_that_could_break_css_is_a_field_error(hq, kit, draft):
    data = draft_data(hq)
    data.update({"body_family": "x;}</style><script>", "tagline": "変更"})
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.context["form"].errors.as_data()["body_family"][0].code == "font_name"
    assert kit.versions.get(status="draft").identity["tagline"] == demo_kit.DEFAULT_IDENTITY["tagline"]


def test_service_errors_on_identity_tone_and_notation_land_on_their_fields():
    from django.core.exceptions import ValidationError

    from brandkit.forms import DraftForm

    form = DraftForm(data={})
    form.is_valid()
    form.add_service_errors(ValidationError({"identity.legal_footer": "a", "identity.values.2": "b",
                                             "tone.attributes.0.do": "c", "notation.long_vowel": "d"}))
    assert {"legal_footer", "values", "tone_attributes", "notation_long_vowel"} <= set(form.errors)


def test_emptying_a_required_legal_footer_in_the_console_is_an_error_on_that_field(hq, kit, draft):
    data = draft_data(hq)
    assert "req_email" in data or any(k.startswith("req_") for k in data)
    data["legal_footer"] = ""
    response = hq.post(reverse("console:brandkit:draft"), data)

    assert response.status_code == 200
    assert "legal_footer" in response.context["form"].errors
    draft.refresh_from_db()
    assert draft.identity["legal_footer"]
