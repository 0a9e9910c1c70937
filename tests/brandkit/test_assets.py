import io
import warnings

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image

from brandkit import assets


def jpeg(size):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def test_a_large_jpeg_photo_is_decoded_at_reduced_scale_but_still_covers_every_card():
    photo = assets.open_upload(jpeg((4800, 3600)), max_bytes=10 * 1024 * 1024, min_side=200,
                               draft_size=(1200, 900), mode="RGB")
    assert photo.mode == "RGB"
    assert photo.size == (1200, 900)  # 1/4 scale instead of 17 million pixels
    card = assets.compose_card(kind="square", headline="見出し", colours={}, photo=photo)
    assert card.size == (1080, 1080)


def test_the_logo_is_prepared_once_per_kit_version_and_size():
    calls = []

    def load():
        calls.append(1)
        return Image.new("RGBA", (800, 400), (0, 0, 0, 255))

    first = assets.prepared_logo(("test-version", "logo.png"), load, 120)
    again = assets.prepared_logo(("test-version", "logo.png"), load, 120)
    assert first is again and len(calls) == 1
    assert first.height == 120
    assert assets.prepared_logo(("test-version", "logo.png"), load, 160).height == 160 and len(calls) == 2


def png(size):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (31, 78, 121, 255)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def test_pillow_bomb_warning_range_is_reported_as_too_many_pixels(monkeypatch):
    """Between MAX_IMAGE_PIXELS and twice that, Pillow only warns: refuse it as a bomb all the same."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # 150×100 = 15 000: warning range, not error range
    with pytest.raises(ValidationError) as caught:
        assets.open_upload(png((150, 100)))
    assert caught.value.code == "bomb"


def test_pillow_bomb_warning_is_too_many_pixels_even_when_warnings_are_errors(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with warnings.catch_warnings(), translation.override("en"):
        warnings.simplefilter("error")  # as under `python -W error`: the warning is raised, not printed
        with pytest.raises(ValidationError) as caught:
            assets.open_upload(png((150, 100)))
    assert caught.value.code == "bomb"
    assert "too many pixels" in caught.value.messages[0]


def test_an_image_under_pillows_limit_still_opens(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert assets.open_upload(png((150, 100))).size == (150, 100)
