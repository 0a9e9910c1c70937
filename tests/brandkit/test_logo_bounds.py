"""A small logo file with many pixels (issue 6, defect 8): a 70 KB, 4900×4900 PNG took 13.9 s
and about 720 MB in one worker. The form reads only the header, the service decodes once and
scales down first (never a full-size RGBA copy), and stores what the logo is used at; beyond
the pixel bound the upload is refused with a field error that names the bound. (The time is
measured by bench/logo.py, not here.)"""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFile

from brandkit import assets, services
from brandkit.forms import LogoForm
from brandkit.models import Logo


def big_logo(side: int = 4900) -> bytes:
    """Flat artwork on transparency in an indexed palette: about 50 KB for 4900×4900."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((side // 12, side // 12, side - side // 12, side - side // 12), fill=(31, 78, 121, 255))
    draw.rectangle((side // 3, side // 3, side * 2 // 3, side * 2 // 3), fill=(230, 120, 40, 255))
    buffer = io.BytesIO()
    image.quantize(4).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def logo_4900() -> bytes:
    return big_logo()


def png_header_only(width: int, height: int) -> bytes:
    """A few bytes that say they are a huge PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.fixture
def hq(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    return client


def post_logo(client, data: bytes, name: str = "mark.png"):
    return client.post(reverse("console:brandkit:draft_logo"),
                        {"logo": SimpleUploadedFile(name, data, "image/png"), "name": "Mark"})


def test_a_4900px_logo_is_stored_at_the_sizes_it_is_used_at(hq, settings, logo_4900):
    assert len(logo_4900) < 100_000
    response = post_logo(hq, logo_4900)
    assert response.status_code == 302
    logo = Logo.objects.get(name="Mark")
    assert (logo.width, logo.height) == (assets.LOGO_MAX_SIDE, assets.LOGO_MAX_SIDE) == (2048, 2048)
    media = Path(settings.MEDIA_ROOT)
    with Image.open(logo.original.path) as original:
        assert (original.format, original.size) == ("PNG", (2048, 2048))
        with Image.open(io.BytesIO(logo_4900)) as source:
            centre = source.convert("RGBA").getpixel((2450, 2450))
        assert original.getpixel((1024, 1024)) == centre  # the artwork survived the scaling
        assert original.getpixel((0, 0))[3] == 0  # and so did the transparency
    for key in ("full", "mono", "reversed"):
        with Image.open(media / logo.variants[key]) as rendition:
            assert rendition.size == (assets.LOGO_RENDITION_SIDE, assets.LOGO_RENDITION_SIDE) == (1024, 1024)
    for n in (16, 32, 180, 512):
        with Image.open(media / logo.variants[f"favicon-{n}"]) as favicon:
            assert favicon.size == (n, n)


def test_the_logo_form_reads_only_the_header(monkeypatch, logo_4900):
    def no_decoding(self):
        raise AssertionError("the form decoded the image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    form = LogoForm(data={"name": "Mark"}, files={"logo": SimpleUploadedFile("mark.png", logo_4900, "image/png")})
    assert form.is_valid(), form.errors


def test_no_full_size_rgba_copy_is_made_of_a_large_logo(draft, monkeypatch, logo_4900):
    """The work follows the output: the 24-megapixel palette image is converted to RGBA band by
    band while it is reduced, never as a whole (which alone is 96 MB, and was made several times)."""
    real_convert = Image.Image.convert
    largest = []

    def convert(self, mode=None, *args, **kwargs):
        out = real_convert(self, mode, *args, **kwargs)
        if out.mode in ("RGBA", "RGBa"):
            largest.append(out.width * out.height)
        return out

    monkeypatch.setattr(Image.Image, "convert", convert)
    upload = io.BytesIO(logo_4900)
    upload.name = "mark.png"
    logo = services.logo_add(version=draft, upload=upload, name="Mark")
    assert logo.width == 2048
    assert largest and max(largest) < 4900 * 4900 // 4


def test_beyond_the_pixel_bound_the_console_names_the_bound(hq):
    response = post_logo(hq, png_header_only(6000, 5000))
    assert response.status_code == 400
    [error] = response.context["logo_form"].errors.as_data()["logo"]
    assert error.code == "bomb"
    assert "6000×5000" in error.message and "25" in error.message
    assert not Logo.objects.exists()


def test_a_damaged_logo_passes_the_header_check_and_is_refused_on_decoding(hq, logo_4900):
    response = post_logo(hq, logo_4900[: len(logo_4900) // 2])
    assert response.status_code == 400
    assert {error.code for error in response.context["logo_form"].errors.as_data()["logo"]} == {"damaged"}
    assert not Logo.objects.exists()


def test_the_api_refuses_a_damaged_logo_on_the_logo_field(client, staff, draft, logo_4900):
    client.force_login(staff["hq_marketer"])
    response = client.post(f"/api/v1/brandkit/versions/{draft.pk}/logos/",
                           {"logo": SimpleUploadedFile("mark.png", logo_4900[:2000], "image/png")})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["logo"]
    assert not draft.logos.exists()
