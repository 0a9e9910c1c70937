"""The draft page: opening it writes nothing; the first save (or logo upload) starts the draft,
in the same service and transaction as the save (``services.draft_edit``, ``services.logo_add``),
which reads the draft under its lock and refuses a form filled from content that has changed since."""

import inspect
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from brandkit import services
from brandkit.models import BrandKitVersion
from brandkit.views import console as console_views
from kernel.models import AuditEntry
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


def _brandkit_audit_count() -> int:
    return AuditEntry.objects.filter(object_type__startswith="brandkit.").count()


def test_a_save_the_service_refuses_starts_no_draft(hq, kit):
    """The form accepts an empty legal footer; the service refuses it (the email channel requires
    it) after ``draft_edit`` started the draft in the same transaction: nothing stays."""
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["legal_footer"] = ""
    audit = _brandkit_audit_count()
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200 and response.context["form"].errors["legal_footer"]
    assert not kit.versions.filter(status="draft").exists()
    assert _brandkit_audit_count() == audit


def test_a_failure_in_the_last_step_of_the_save_keeps_nothing(hq, kit, monkeypatch):
    """``services.draft_edit`` is one transaction: the draft it started, the sections and the
    palette it already wrote, and their audit rows all go when the editorial rules step fails."""
    from brandkit import services

    calls = []

    def refuse(**kwargs):
        calls.append(kwargs["version"].pk)
        raise ValidationError({"rules.0.pattern": "refused"})

    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["tagline"] = "書きかけ"
    audit = _brandkit_audit_count()
    monkeypatch.setattr(services, "rules_set", refuse)  # after draft_get_or_create, draft_update, palette_set
    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200 and response.context["form"].errors["rules"] == ["refused"]
    assert calls and not BrandKitVersion.objects.filter(pk=calls[0]).exists()
    assert not kit.versions.filter(status="draft").exists()
    assert _brandkit_audit_count() == audit
    kit.published_version.refresh_from_db()
    assert kit.published_version.identity["tagline"] != "書きかけ"


def test_a_version_published_while_the_form_was_open_is_not_undone(hq, kit, staff):
    """HQ opens the draft page (filled from v1); meanwhile someone publishes v2 with a new
    tagline. Saving the open form would put v1's tagline back: it is refused, nothing is
    written, and the page says so; saving again is a deliberate choice and goes through."""
    hq.cookies["django_language"] = "en"
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["mission"] = "港町の暮らしを、毎日に。"
    other = services.draft_get_or_create(kit=kit, acting_user=staff["administrator"])
    services.draft_update(version=other, identity={**other.identity, "tagline": "v2 の言葉"})
    services.version_publish(version=other, acting_user=staff["administrator"])

    response = hq.post(reverse("console:brandkit:draft"), data)
    assert response.status_code == 200
    assert "Someone changed this brand kit while you were editing it (now version 2)" in response.content.decode()
    assert not kit.versions.filter(status="draft").exists()
    form = response.context["form"]
    assert form["mission"].value() == "港町の暮らしを、毎日に。"  # what was typed is kept
    assert form["base_version"].value() == services.version_fingerprint(kit.versions.get(number=2))

    again = form_post_data(form) | {key: value for key, value in form.data.items() if key != "csrfmiddlewaretoken"}
    assert hq.post(reverse("console:brandkit:draft"), again).status_code == 302
    draft = kit.versions.get(status="draft")
    assert draft.number == 3 and draft.identity["mission"] == "港町の暮らしを、毎日に。"


def test_a_publish_that_changed_nothing_the_form_edits_does_not_stop_the_save(hq, kit):
    data = form_data(hq.get(reverse("console:brandkit:draft")))
    data["tagline"] = "新しい毎日を"
    services.version_publish(version=services.draft_get_or_create(kit=kit))  # v2, the same content
    assert hq.post(reverse("console:brandkit:draft"), data).status_code == 302
    assert kit.versions.get(status="draft").identity["tagline"] == "新しい毎日を"


def test_a_stale_draft_object_cannot_undo_a_publish(kit):
    """A writer that read the draft before it was published (an API call in flight) is refused
    instead of saving its stale status back: the version stays published and unchanged."""
    stale = services.draft_get_or_create(kit=kit)
    services.version_publish(version=BrandKitVersion.objects.get(pk=stale.pk))
    with pytest.raises(ValidationError) as refused:
        services.draft_update(version=stale, identity={**stale.identity, "tagline": "遅れた編集"})
    assert refused.value.code == "not_draft"
    stale.refresh_from_db()
    assert stale.status == "published" and stale.identity["tagline"] != "遅れた編集"
    kit.refresh_from_db()
    assert kit.published_version_id == stale.pk


def test_the_draft_page_opens_no_transaction_of_its_own():
    """One service composes the save (``services.draft_edit``); the view only parses and calls it."""
    source = inspect.getsource(console_views)
    assert "transaction" not in source
    assert "draft_get_or_create" not in inspect.getsource(console_views.draft_edit)


def test_a_refused_logo_upload_starts_no_draft(hq, kit):
    upload = io.BytesIO(b"not an image")
    upload.name = "logo.png"
    assert hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload}).status_code == 400
    assert not kit.versions.filter(status="draft").exists()


def test_a_logo_refused_on_decoding_starts_no_draft(hq, kit):
    """The header passes the form's check; the service refuses the file while decoding it, after
    it started the draft in the same transaction: no draft, no logo."""
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(buffer, "PNG")
    upload = io.BytesIO(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    upload.name = "mark.png"
    response = hq.post(reverse("console:brandkit:draft_logo"), {"logo": upload})
    assert response.status_code == 400 and response.context["logo_form"].errors["logo"]
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
