"""Social cards and POP signs keep the kit's logo rules: minimum size and clear space."""

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageChops

from brandkit import assets, services
from brandkit import theme as brand_theme

LOGO = (200, 0, 200)  # a colour nothing else on a card uses
BACKGROUND = brand_theme.DEFAULT_COLOURS["background"]
PHOTO = (40, 160, 80)


def close_to(image: Image.Image, colour, tolerance: int = 6) -> Image.Image:
    """A mask (255 where a pixel is within ``tolerance`` of ``colour`` on every channel)."""
    image = image.convert("RGB")
    diff = ImageChops.difference(image, Image.new("RGB", image.size, colour))
    red, green, blue = diff.split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue).point(lambda v: 255 if v <= tolerance else 0)


def logo_box(card: Image.Image) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the logo's pixels on the card."""
    box = close_to(card, LOGO).getbbox()
    assert box, "no logo on the card"
    return box


def foreign_pixels(card: Image.Image, box) -> int:
    """Pixels inside ``box`` that are neither logo nor plain background (photo, text, panel)."""
    region = card.convert("RGB").crop(box)
    background = tuple(int(BACKGROUND[i:i + 2], 16) for i in (1, 3, 5))
    allowed = ImageChops.lighter(close_to(region, LOGO), close_to(region, background))
    return allowed.histogram()[0]


def wide_logo(size=(800, 100)) -> Image.Image:
    return Image.new("RGBA", size, (*LOGO, 255))


@pytest.mark.parametrize("rule, height, expected", [
    ("ロゴの高さの1/2以上の余白", 80, 40),
    ("ロゴ高さの1倍", 80, 80),
    ("ロゴの高さの２分の１", 80, 40),
    ("Half the logo height on every side", 80, 40),
    ("25% of the logo height", 80, 20),
    ("at least 30px", 80, 30),
    ("０．５ｘ", 80, 40),
    ("", 80, 40),  # no measure: half the height
    ("10倍", 80, 160),  # capped at twice the height
])
def test_clear_space_is_read_from_the_rule_text(rule, height, expected):
    assert assets.clear_space_px(rule, height) == expected


@pytest.mark.parametrize("kind", ["square", "landscape", "pop"])
@pytest.mark.parametrize("rules", [
    {"min_size_px": 64, "clear_space": "ロゴの高さの1/2以上の余白"},
    {"min_size_px": 100, "clear_space": "ロゴ高さの1倍"},
])
def test_the_logo_is_never_below_the_minimum_and_keeps_its_clear_space(kind, rules):
    limit = assets.LOGO_LIMITS[kind]
    logo = assets.prepared_logo(("rules-test", kind), lambda: wide_logo((400, 100)), limit,
                                min_height=rules["min_size_px"])
    card = assets.compose_card(kind=kind, headline="夏のリネンシャツ入荷のお知らせ", subline="¥5,500（税込）",
                               colours=brand_theme.DEFAULT_COLOURS, photo=Image.new("RGB", (1200, 900), PHOTO),
                               logo=logo, brand_name="ミナト商店", logo_rules=rules)
    left, top, right, bottom = logo_box(card)
    height = bottom - top
    assert height >= rules["min_size_px"]
    clear = assets.clear_space_px(rules["clear_space"], height)
    space = (left - clear, top - clear, right + clear, bottom + clear)
    assert space[0] >= 0 and space[1] >= 0 and space[2] <= card.width and space[3] <= card.height
    assert foreign_pixels(card, space) == 0  # no photo, text or panel inside the clear space


def test_a_logo_not_prepared_is_still_sized_by_the_rules():
    card = assets.compose_card(kind="landscape", headline="見出し", colours=brand_theme.DEFAULT_COLOURS,
                               logo=wide_logo((800, 200)), logo_rules={"min_size_px": 90, "clear_space": "1/2"})
    left, top, right, bottom = logo_box(card)
    assert bottom - top >= 90 and top >= 45 and left >= 45


def test_the_assets_page_applies_the_published_kits_logo_rules(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    draft = services.draft_get_or_create(kit=kit)
    services.draft_update(version=draft, logo_rules={"min_size_px": 100, "clear_space": "ロゴ高さの1倍"})
    buffer = io.BytesIO()
    wide_logo().save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "wide.png"
    services.logo_add(version=draft, upload=buffer, name="wide")
    services.version_publish(version=draft)
    response = client.post(reverse("console:brandkit:assets"), {"kind": "square", "headline": "秋の新作"})
    assert response.status_code == 200
    card = Image.open(io.BytesIO(response.content))
    left, top, right, bottom = logo_box(card)
    assert bottom - top >= 100  # fitted to the usual 120×240 box it would be 30 px high
    assert foreign_pixels(card, (left - (bottom - top), top - (bottom - top), right + (bottom - top),
                                 bottom + (bottom - top))) == 0
