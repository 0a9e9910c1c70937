"""The draft page: opening it writes nothing; the first save (or logo upload) starts the draft."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from brandkit.models import BrandKitVersion
from tests.brandkit.test_console import form_post_data


@pytest.fixture
def hq(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    return client


def form_data(response) -> dict:
    return form_post_data(response.context["form"])


def test_opening_the_draft_page_without_a_draft_writes_nothing(hq, kit):
    hq.cookies["django_language"] = "en"
    before = list(BrandKitVersion.objects.values_list("pk", "updated_at"))
    response = hq.get(reverse("console:brandkit:draft"))
    assert response.status_code == 200
    assert list(BrandKitVersion.objects.values_list("pk", "updated_at")) == before
    assert response.context["version"].pk == kit.published_version_id  # the form shows the published version
    body = response.content.decode()
    assert "New draft v2" in body and "Start the draft and save" in body
    assert reverse("console:brandkit:publish") not in body  # nothing to publish yet


def test_the_first_save_starts_the_draft_from_the_published_version(hq, kit):
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["tagline"] = "新しい毎日を"
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    draft = kit.versions.get(status="draft")
    assert draft.number == 2 and draft.identity["tagline"] == "新しい毎日を"
    assert draft.palette.count() == 9 and draft.rules.count() == kit.published_version.rules.count()
    page = hq.get(reverse("console:brandkit:draft"))
    assert page.context["version"] == draft and reverse("console:brandkit:publish") in page.content.decode()


def test_an_invalid_first_save_starts_no_draft(hq, kit):
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["colour_primary"] = "#XYZ"
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200 and response.context["form"].errors["colour_primary"]
    assert not kit.versions.filter(status="draft").exists()


def test_a_save_the_service_refuses_starts_no_draft(hq, kit, monkeypatch):
    from django.core.exceptions import ValidationError

    from brandkit import services

    def refuse(**kwargs):
        raise ValidationError({"identity.brand_name": "refused"})

    data = form_data(hq.get(reverse("console:brandkit:draft")))
    monkeypatch.setattr(services, "draft_save", refuse)  # after the draft was made in the same transaction
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200 and response.context["form"].errors["brand_name"] == ["refused"]
    assert not kit.versions.filter(status="draft").exists()


def test_a_refused_logo_upload_starts_no_draft(hq, kit):
    upload = io.BytesIO(b"not an image")
    upload.name = "logo.png"
    assert hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload}).status_code == 400
    assert not kit.versions.filter(status="draft").exists()


def test_a_logo_upload_starts_the_draft(hq, kit):
    buffer = io.BytesIO()
    Image.new("RGBA", (200, 100), (31, 78, 121, 255)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "mark.png"
    assert hq.post(reverse("console:brandkit:draft_logo"), {"logo": buffer}).status_code == 302
    assert kit.versions.get(status="draft").logos.count() == 1


def test_the_company_name_is_edited_on_the_draft_page(hq, kit):
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    assert data["legal_name"] == "株式会社ミナト商店"  # the demo kit's, as in its legal footer
    data["legal_name"] = "株式会社ミナトリテール"
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    assert kit.versions.get(status="draft").identity["legal_name"] == "株式会社ミナトリテール"
