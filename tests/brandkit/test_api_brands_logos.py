"""HQ writes through the API (brands, default brand, logo upload, publish) and who may read drafts."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from brandkit import theme as brand_theme
from brandkit.models import Brand, BrandKitVersion, LintCheck

API = "/api/v1/brandkit"


@pytest.fixture
def as_user(client, staff, kit):
    def login(role):
        client.force_login(staff[role])
        return client
    return login


@pytest.fixture
def draft(kit):
    from brandkit.services import draft_get_or_create

    return draft_get_or_create(kit=kit)


def png(width=240, height=80, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", (width, height), (10, 61, 98)).save(buffer, fmt)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny file that says it is a huge PNG: a decompression bomb is refused from its header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def upload(client, version_id, data: bytes, name="mark.png", content_type="image/png"):
    client.cookies["django_language"] = "en"
    return client.post(f"{API}/versions/{version_id}/logos/",
                       {"logo": SimpleUploadedFile(name, data, content_type=content_type), "name": "マーク"})


# --- brands ---------------------------------------------------------------------------------

def test_hq_creates_a_brand_with_its_kit_and_draft(as_user):
    response = as_user("hq_marketer").post(f"{API}/brands/", {"name": "MINATO OUTLET", "slug": "outlet"},
                                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["brand"]["slug"] == "outlet" and body["brand"]["is_default"] is False
    assert body["kit"]["is_active"] and body["kit"]["published_version"] is None
    assert body["draft"]["status"] == "draft" and body["draft"]["identity"]["brand_name"] == "MINATO OUTLET"
    assert len(body["draft"]["palette"]) == 9


def test_a_taken_slug_is_a_field_error(as_user):
    response = as_user("hq_marketer").post(f"{API}/brands/", {"name": "別名", "slug": "minato"},
                                           content_type="application/json")
    assert response.status_code == 400 and "slug" in response.json()["errors"]
    assert Brand.objects.count() == 1


@pytest.mark.parametrize("role", ["store_staff", "customer"])
def test_only_hq_creates_brands_or_sets_the_default(as_user, role, kit):
    client = as_user(role)
    assert client.post(f"{API}/brands/", {"name": "X"}, content_type="application/json").status_code == 403
    assert client.post(f"{API}/brands/{kit.brand_id}/default/").status_code == 403
    assert client.get(f"{API}/brands/").status_code == 200


def test_hq_sets_the_default_brand_and_the_theme_follows(as_user, kit):
    client = as_user("hq_marketer")
    created = client.post(f"{API}/brands/", {"name": "MINATO OUTLET", "slug": "outlet"},
                          content_type="application/json").json()
    draft_id = created["draft"]["id"]
    assert client.post(f"{API}/versions/{draft_id}/publish/", {"note": "初版"},
                       content_type="application/json").status_code == 200
    response = client.post(f"{API}/brands/{created['brand']['id']}/default/")
    assert response.status_code == 200 and response.json()["is_default"] is True
    assert list(Brand.objects.filter(is_default=True).values_list("slug", flat=True)) == ["outlet"]
    assert brand_theme.theme().brand_name == "MINATO OUTLET"


# --- logos ----------------------------------------------------------------------------------

def test_hq_uploads_a_logo_to_the_draft(as_user, draft):
    response = upload(as_user("hq_marketer"), draft.pk, png())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"], body["is_primary"], body["name"]) == (240, 80, True, "マーク")
    assert {"full", "mono", "reversed", "favicon-32"} <= set(body["variants"])
    version = as_user("hq_marketer").get(f"{API}/versions/{draft.pk}/").json()
    assert [logo["id"] for logo in version["logos"]] == [body["id"]]


@pytest.mark.parametrize("data, name, content_type, needle", [
    (png(fmt="GIF"), "mark.gif", "image/gif", "PNG, JPEG or WebP"),
    (b"%PDF-1.4 not an image", "mark.png", "image/png", "PNG, JPEG or WebP"),
    (b"\0" * (5 * 1024 * 1024 + 1), "huge.png", "image/png", "too large"),
    (png_header_only(20_000, 20_000), "bomb.png", "image/png", "too many pixels"),
    (png_header_only(6_000, 5_000), "big.png", "image/png", "too many pixels"),
    (png(20, 20), "tiny.png", "image/png", "too small"),
], ids=["gif", "not-an-image", "over-5-mb", "bomb-header", "over-25-megapixels", "too-small"])
def test_a_bad_logo_upload_is_a_400_on_the_logo_field(as_user, draft, data, name, content_type, needle):
    response = upload(as_user("hq_marketer"), draft.pk, data, name, content_type)
    assert response.status_code == 400
    [message] = response.json()["errors"]["logo"]
    assert needle in message
    assert not draft.logos.exists()


def test_a_logo_cannot_be_added_to_a_published_version(as_user, kit):
    response = upload(as_user("hq_marketer"), kit.published_version_id, png())
    assert response.status_code == 400
    assert not kit.published_version.logos.exists()


@pytest.mark.parametrize("role", ["store_staff", "customer"])
def test_only_hq_uploads_logos_and_publishes(as_user, draft, role):
    client = as_user(role)
    assert upload(client, draft.pk, png()).status_code == 403
    assert client.post(f"{API}/versions/{draft.pk}/publish/").status_code == 403
    assert not draft.logos.exists()


def test_publishing_a_version_that_is_not_a_draft_is_a_400(as_user, kit):
    response = as_user("hq_marketer").post(f"{API}/versions/{kit.published_version_id}/publish/")
    assert response.status_code == 400


# --- who reads drafts -----------------------------------------------------------------------

def test_customer_accounts_read_published_versions_but_never_drafts(as_user, kit, draft):
    client = as_user("customer")
    assert client.get(f"{API}/versions/{kit.published_version_id}/").status_code == 200
    assert client.get(f"{API}/versions/{draft.pk}/").status_code == 404
    listed = [v["id"] for v in client.get(f"{API}/versions/").json()["results"]]
    assert listed == [kit.published_version_id]
    lint = client.post(f"{API}/lint/", {"text": "x", "channel": "web", "version": draft.pk},
                       content_type="application/json")
    assert lint.status_code == 404  # a draft's rules cannot be probed through the linter either


def test_staff_with_the_view_permission_read_drafts(as_user, kit, draft):
    client = as_user("store_staff")
    assert client.get(f"{API}/versions/{draft.pk}/").json()["status"] == "draft"
    listed = {v["id"] for v in client.get(f"{API}/versions/?kit={kit.pk}").json()["results"]}
    assert listed == {kit.published_version_id, draft.pk}
    lint = client.post(f"{API}/lint/", {"text": "激安", "channel": "web", "version": draft.pk},
                       content_type="application/json")
    assert lint.status_code == 200 and lint.json()["ok"] is False
    assert not LintCheck.objects.exists()
    assert BrandKitVersion.objects.get(pk=draft.pk).is_draft


def test_the_schema_documents_the_new_endpoints(client, staff):
    client.force_login(staff["hq_marketer"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/brandkit/brands/"]
    assert "post" in paths["/api/v1/brandkit/brands/{id}/default/"]
    assert "multipart/form-data" in paths["/api/v1/brandkit/versions/{id}/logos/"]["post"]["requestBody"]["content"]
    assert "get" in paths["/api/v1/brandkit/kits/{id}/scores/"]
    assert "429" in paths["/api/v1/brandkit/lint/"]["post"]["responses"]
