"""Product photos go through the shared image intake rule (issue 6, defect 2): only JPEG, PNG
and WebP are accepted, the stored original is re-encoded and named from the detected format,
never from the upload's name, so no uploaded bytes other than pixels reach /media/."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from inventory import services
from inventory.models import ProductImage

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def encoded(fmt: str, size=(64, 48), mode="RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (31, 78, 121)).save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_png_with_html_appended_and_named_html_is_stored_as_a_clean_png(shop):
    content = encoded("PNG") + HTML
    image = services.product_image_add(product=shop.product, upload=upload("x.html", content, "text/html"))
    assert image.original.name.endswith(".png")
    stored = Path(image.original.path).read_bytes()
    assert b"<script" not in stored and stored != content
    assert stored.endswith(b"IEND\xaeB`\x82")  # nothing after the image's last chunk
    with Image.open(image.original.path) as reopened:
        assert (reopened.format, reopened.size) == ("PNG", (64, 48))
    assert image.thumbnail.name.endswith(".webp") and image.large.name.endswith(".webp")


@pytest.mark.parametrize("name, content, extension", [
    ("photo.gif", encoded("JPEG"), ".jpg"),
    ("photo", encoded("JPEG"), ".jpg"),
    ("photo.js", encoded("WEBP"), ".webp"),
    ("PHOTO.JPG", encoded("PNG"), ".png"),
])
def test_the_stored_name_comes_from_the_detected_format(shop, name, content, extension):
    image = services.product_image_add(product=shop.product, upload=upload(name, content))
    assert Path(image.original.name).suffix == extension
    assert Path(image.original.name).name == f"{shop.product.code}-0-original{extension}"


@pytest.mark.parametrize("name, content", [
    ("photo.gif", encoded("GIF")),
    ("photo.jpg", encoded("GIF")),  # the content decides, not the name
    ("x.js", b"GIF89a/*" + encoded("GIF")[8:] + b"*/=alert(1);"),  # a GIF that is also JavaScript
    ("photo.bmp", encoded("BMP")),
    ("photo.tif", encoded("TIFF")),
])
def test_other_image_formats_are_refused_on_image_and_nothing_is_stored(shop, settings, name, content):
    with pytest.raises(ValidationError) as caught:
        services.product_image_add(product=shop.product, upload=upload(name, content))
    assert list(caught.value.message_dict) == ["image"]
    assert not ProductImage.objects.exists()
    assert stored_files(settings) == []


def test_the_original_is_upright_without_exif_but_keeps_its_colour_profile(shop):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {2: (35.0, 39.0, 29.0)}  # GPS latitude
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    content = encoded("JPEG", size=(60, 40), exif=exif.tobytes(), icc_profile=icc)
    image = services.product_image_add(product=shop.product, upload=upload("camera.jpg", content))
    assert (image.width, image.height) == (40, 60)
    with Image.open(image.original.path) as stored:
        assert stored.size == (40, 60)
        assert not stored.getexif()
        assert stored.info.get("icc_profile") == icc
    assert b"Camera Maker" not in Path(image.original.path).read_bytes()


def test_renditions_are_made_from_the_larger_rendition_and_keep_the_aspect_ratio(shop):
    content = encoded("PNG", size=(2400, 1600), mode="P")
    image = services.product_image_add(product=shop.product, upload=upload("wide.png", content))
    with Image.open(image.large.path) as large, Image.open(image.thumbnail.path) as thumb:
        assert (large.size, thumb.size) == ((1200, 800), (480, 320))
        assert large.mode == thumb.mode == "RGB"


# --- the console and the API put the refusal on the photo field ------------------------------------

@pytest.fixture
def hq(client, staff):
    client.force_login(staff["hq_marketer"])
    return client


def test_the_console_photo_form_shows_the_refusal_of_a_gif(hq, shop):
    response = hq.post(reverse("console:product_edit", kwargs={"code": shop.product.code}),
                       {"form": "photo", "photo-photo": upload("anim.gif", encoded("GIF"), "image/gif")})
    assert response.status_code == 400
    message = "PNG・JPEG・WebPのいずれかの画像をアップロードしてください。"
    assert response.context["photo_form"].errors["photo"] == [message]
    assert message in response.content.decode()
    assert not shop.product.images.exists()


def test_the_api_answers_400_on_image_for_a_gif(shop, staff):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user=staff["hq_marketer"])
    response = api.post(f"/api/v1/products/{shop.product.code}/images/",
                        {"image": upload("anim.gif", encoded("GIF"), "image/gif")}, format="multipart")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["image"]
    assert not ProductImage.objects.exists()
