import io

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
