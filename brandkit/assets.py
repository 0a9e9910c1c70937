"""Pillow work: checking logo uploads, logo variants, social cards and POP signs.

Japanese text is set with the full Noto Sans JP Japanese WOFF2 that ``manage.py
fonts_install`` copies to ``VAR_DIR/fonts/noto-sans-jp/`` (``fonts.pillow_font_path``);
Pillow's FreeType (with Brotli) opens WOFF2 directly.
"""

import io
import re
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from kernel import images

from . import fonts
from .colour import readable_on, rgb

ALLOWED_FORMATS = set(images.EXTENSIONS)  # PNG, JPEG, WebP: the shared intake rule (kernel.images)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # decoded pixels, checked from the header before decoding (a 5000×5000 logo)
MIN_LOGO_SIDE = 64
# What a logo is kept at: the stored original fits LOGO_MAX_SIDE (cards need at most the kit's
# minimum logo size, 2000 px; POP signs 160 px), the full/mono/reversed renditions fit
# LOGO_RENDITION_SIDE (the guide, emails at 40 px high), favicons are at most 512 px. A larger upload
# is decoded once and scaled down first, so the rest of the work follows the output sizes.
LOGO_MAX_SIDE = 2048
LOGO_RENDITION_SIDE = 1024

SIZES = {"square": (1080, 1080), "landscape": (1200, 630), "pop": (1240, 1754)}  # POP: A4 portrait at 150 dpi


def inspect_upload(upload, *, max_bytes: int = MAX_UPLOAD_BYTES, min_side: int = MIN_LOGO_SIDE) -> None:
    """Check an upload from its header only (format, bytes, pixels, minimum size) or raise
    ValidationError; nothing is decoded. Forms use it; the service decodes once."""
    images.inspect(upload, max_bytes=max_bytes, max_pixels=MAX_PIXELS, min_side=min_side)


def open_upload(upload, *, max_bytes: int = MAX_UPLOAD_BYTES, min_side: int = MIN_LOGO_SIDE,
                draft_size: tuple[int, int] | None = None, mode: str = "RGBA") -> Image.Image:
    """Open an uploaded raster image safely or raise ValidationError with a clear message.

    The shared intake rule (``kernel.images``): refuses non-images, formats other than
    PNG/JPEG/WebP, files over ``max_bytes``, decompression bombs (more than ``MAX_PIXELS``
    pixels, checked from the header before any pixel is decoded) and images smaller than
    ``min_side``. ``draft_size`` lets a JPEG decode at a reduced scale (1/2, 1/4, 1/8) that still
    covers that size: a camera photo for a card is not decoded at full resolution.
    """
    image = images.open_image(upload, max_bytes=max_bytes, max_pixels=MAX_PIXELS, min_side=min_side,
                              draft_size=draft_size)
    return image if image.mode == mode else image.convert(mode)


def open_logo(upload) -> Image.Image:
    """A logo upload decoded once (checked as ``open_upload``) and scaled down to fit
    ``LOGO_MAX_SIDE`` before anything else is done with it, in RGBA."""
    image = images.open_image(upload, max_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_PIXELS, min_side=MIN_LOGO_SIDE,
                              draft_size=(LOGO_MAX_SIDE, LOGO_MAX_SIDE))
    return fitted(image, LOGO_MAX_SIDE)


def fitted(image: Image.Image, side: int) -> Image.Image:
    """``image`` in RGBA, scaled down (never up) to fit ``side`` × ``side``; the cost follows the
    output size. An image at least twice too large is first reduced by a whole factor (a box
    filter) in bands of rows, each band converted and premultiplied on its own, so no full-size
    RGBA copy is ever made (a 4900×4900 palette PNG is 24 MB decoded, 96 MB in RGBA); Lanczos then
    covers the last step of less than 2× (for flat logo artwork indistinguishable from a full
    Lanczos pass)."""
    scale = side / max(image.size)
    if scale >= 1:
        return image if image.mode == "RGBA" else image.convert("RGBA")
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    factor = int(1 / scale)
    if factor >= 2:
        premultiplied = _reduced_premultiplied(image, factor)
    else:
        # palette and 1-bit images would be resized by nearest neighbour; RGBa keeps edges clean
        premultiplied = image.convert("RGBA").convert("RGBa")
    return premultiplied.resize(size, Image.Resampling.LANCZOS).convert("RGBA")


def _reduced_premultiplied(image: Image.Image, factor: int, band_rows: int = 256) -> Image.Image:
    """``image`` reduced ``factor`` times (box filter) in premultiplied RGBA ("RGBa"), converted
    ``factor * band_rows`` source rows at a time."""
    width, height = image.size
    out = Image.new("RGBa", (-(-width // factor), -(-height // factor)))
    step = factor * band_rows
    for top in range(0, height, step):
        band = image.crop((0, top, width, min(top + step, height)))
        band = band if band.mode in ("RGBA", "RGB") else band.convert("RGBA")  # Pillow has no P -> RGBa
        out.paste(band.convert("RGBa").reduce(factor), (0, top // factor))
    return out


def logo_variants(image: Image.Image, favicon_sizes=(16, 32, 180, 512)) -> dict[str, Image.Image]:
    """Full colour, mono (black), reversed (white) and square favicons from one logo, each made
    from a copy that first fits ``LOGO_RENDITION_SIDE``."""
    rgba = fitted(image, LOGO_RENDITION_SIDE)
    alpha = rgba.getchannel("A")
    if alpha.getextrema() == (255, 255):
        # An opaque logo: treat near-white as background so mono/reversed have a shape to fill.
        grey = rgba.convert("L")
        alpha = grey.point(lambda v: 0 if v > 235 else 255)
    mono = Image.new("RGBA", rgba.size, (0, 0, 0, 0))
    mono.paste((29, 35, 42, 255), mask=alpha)
    reversed_ = Image.new("RGBA", rgba.size, (0, 0, 0, 0))
    reversed_.paste((255, 255, 255, 255), mask=alpha)
    out = {"full": rgba, "mono": mono, "reversed": reversed_}
    side = max(rgba.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(rgba, ((side - rgba.width) // 2, (side - rgba.height) // 2))
    for n in favicon_sizes:
        out[f"favicon-{n}"] = square.resize((n, n), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return out


@lru_cache(maxsize=16)
def font(size: int, weight: int = 700) -> ImageFont.FreeTypeFont:
    path = fonts.pillow_font_path(weight)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `manage.py fonts_install`")
    return ImageFont.truetype(str(path), size)


def wrap(draw: ImageDraw.ImageDraw, text: str, face, max_width: int, max_lines: int = 3) -> list[str]:
    """Break Japanese (no spaces) or Latin text into lines that fit ``max_width``."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if draw.textlength(line + ch, font=face) <= max_width or not line:
                line += ch
            else:
                lines.append(line)
                line = ch
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


# Headline / subline / brand sizes each format uses (``warm_fonts`` loads them all).
FONT_SIZES = {"square": (64, 35), "landscape": (56, 30), "pop": (110, 60, 72)}


def warm_fonts() -> None:
    """Load every face the cards use (about 30 ms each: FreeType unpacks the WOFF2 per face).
    ``bench/social_card.py`` times it. The card page does not call it: a GET starts no work; the
    POST that composes a card loads the faces of its own format once per process (``font``)."""
    try:
        for sizes in FONT_SIZES.values():
            for index, size in enumerate(sizes):
                font(size, 400 if index == 1 else 700)
    except FileNotFoundError:
        return  # fonts_install has not run; the card view reports it when a card is asked for


_logos: dict[tuple, Image.Image] = {}


def prepared_logo(key: tuple, load, limit: int, min_height: int = 0) -> Image.Image:
    """The logo scaled to fit ``limit`` px high (and twice that wide), but never below ``min_height``
    px high (the kit's minimum logo size), made once per ``key`` (kit version + file) and size:
    decoding and resampling the upload is not repeated for every card."""
    cache_key = (*key, limit, min_height)
    mark = _logos.get(cache_key)
    if mark is None:
        source = load().convert("RGBA")
        mark = source.copy()
        mark.thumbnail((limit * 2, limit), Image.Resampling.LANCZOS)
        if mark.height < min_height:  # a wide logo fitted to the box would be shown too small
            mark = source.resize((max(1, round(source.width * min_height / source.height)), min_height),
                                 Image.Resampling.LANCZOS)
        if len(_logos) > 32:
            _logos.clear()
        _logos[cache_key] = mark
    return mark


# A kit's clear-space rule is free text ("ロゴの高さの1/2以上の余白", "half the logo height", "24px").
DEFAULT_CLEAR_SPACE = 0.5  # of the logo's height, when the rule names no measure
_CLEAR_PX = re.compile(r"(\d+(?:\.\d+)?)\s*(?:px|ピクセル|pixels?)", re.IGNORECASE)
_CLEAR_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_CLEAR_FRACTION = re.compile(r"(\d+)\s*/\s*(\d+)")
_CLEAR_JA_FRACTION = re.compile(r"(\d+)\s*分の\s*(\d+)")
_CLEAR_TIMES = re.compile(r"(\d+(?:\.\d+)?)\s*(?:倍|x|×|times)", re.IGNORECASE)
_CLEAR_WORDS = ((re.compile(r"半分|half|½", re.IGNORECASE), 0.5), (re.compile(r"quarter|¼", re.IGNORECASE), 0.25),
                (re.compile(r"twice|double", re.IGNORECASE), 2.0))


def clear_space_px(rule, logo_height: int) -> int:
    """The clear space to keep on every side of a logo ``logo_height`` px high, read from the kit's
    rule: pixels ("24px"), a share of the logo's height ("1/2", "2分の1", "50%", "1倍", "0.5x", "half"),
    or, when the rule names no measure, half the logo's height. Capped at twice the height."""
    import unicodedata

    text = unicodedata.normalize("NFKC", str(rule or ""))
    if match := _CLEAR_PX.search(text):
        return max(0, round(float(match[1])))
    ratio = DEFAULT_CLEAR_SPACE
    if match := _CLEAR_PERCENT.search(text):
        ratio = float(match[1]) / 100
    elif (match := _CLEAR_FRACTION.search(text)) and int(match[2]):
        ratio = int(match[1]) / int(match[2])
    elif (match := _CLEAR_JA_FRACTION.search(text)) and int(match[1]):
        ratio = int(match[2]) / int(match[1])
    elif match := _CLEAR_TIMES.search(text):
        ratio = float(match[1])
    else:
        ratio = next((value for pattern, value in _CLEAR_WORDS if pattern.search(text)), DEFAULT_CLEAR_SPACE)
    return round(min(ratio, 2.0) * logo_height)


def logo_fit(logo_size: tuple[int, int], rules: dict | None, room: tuple[int, int], limit: int,
             edge: int = 0) -> tuple[int, int, int]:
    """(width, height, clear space) of the logo on a card: fitted to ``limit`` px high (twice that
    wide), never below the kit's ``min_size_px``, and with its clear space (and at least ``edge``
    px to the card's edge) inside ``room``. Only a minimum too large for the card's logo area (the
    photo's side of the card) can leave the logo below it."""
    rules = rules or {}
    width, height = logo_size
    aspect = width / height
    fitted = min(height, limit, limit * 2 / aspect)
    target = max(fitted, float(rules.get("min_size_px") or 0))

    def clear(h: float) -> int:
        return clear_space_px(rules.get("clear_space"), round(h))

    def fits(h: float) -> bool:
        space = clear(h)
        return aspect * h + space + max(space, edge) <= room[0] and h + space + max(space, edge) <= room[1]

    while target > 8 and not fits(target):
        target *= 0.97
    target = round(target)
    return max(1, round(aspect * target)), target, clear(target)


def _cover(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Crop the photo to the box's aspect ratio and scale it once (reducing_gap: a fast box
    reduction first, then bilinear on the small image)."""
    width, height = size
    ratio = width / height
    if photo.width / photo.height > ratio:
        crop_w = int(photo.height * ratio)
        box = ((photo.width - crop_w) // 2, 0, (photo.width - crop_w) // 2 + crop_w, photo.height)
    else:
        crop_h = int(photo.width / ratio)
        box = (0, (photo.height - crop_h) // 2, photo.width, (photo.height - crop_h) // 2 + crop_h)
    scaled = photo.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    return scaled if scaled.mode == "RGB" else scaled.convert("RGB")


LOGO_LIMITS = {"square": 120, "landscape": 120, "pop": 160}  # the logo's usual height on each format
LOGO_EDGE = {"square": 28, "landscape": 28, "pop": 60}  # at least this far from the edge (print margin)


def compose_card(*, kind: str, headline: str, colours: dict[str, str], photo: Image.Image | None = None,
                 logo: Image.Image | None = None, subline: str = "", brand_name: str = "",
                 logo_rules: dict | None = None) -> Image.Image:
    """A social card ("square" 1080×1080, "landscape" 1200×630) or a POP sign ("pop", A4).

    Pass ``logo`` through ``prepared_logo`` so it is decoded and scaled once per kit version.
    ``logo_rules`` is the kit version's ``logo_rules``: the logo is set at least ``min_size_px``
    high and sits on a plate of the background colour as wide as its ``clear_space`` on every
    side, so neither the photo nor any text comes closer than the rule allows."""
    width, height = SIZES[kind]
    background = colours.get("background", "#FAFAF7")
    primary = colours.get("primary", "#1F4E79")
    accent = colours.get("accent", "#C8553D")
    canvas = Image.new("RGB", (width, height), rgb(background))
    draw = ImageDraw.Draw(canvas)
    if kind == "landscape":
        photo_box = (0, 0, width // 2, height)
        panel = (width // 2, 0, width, height)
    elif kind == "square":
        photo_box = (0, 0, width, int(height * 0.62))
        panel = (0, int(height * 0.62), width, height)
    else:
        photo_box = (60, 200, width - 60, int(height * 0.62))
        panel = (0, int(height * 0.62) + 40, width, height)
    mark, plate, logo_at = None, None, (0, 0)
    if logo is not None:
        edge = LOGO_EDGE[kind]
        # The room the logo and its clear space may take: the photo's corner (square), the panel under
        # the headline (landscape), the top band (POP).
        room = {"square": (width, photo_box[3]), "landscape": (panel[2] - panel[0], height - 14 - 200),
                "pop": (width - 400, 560)}[kind]
        logo_w, logo_h, clear = logo_fit(logo.size, logo_rules, room, LOGO_LIMITS[kind], edge)
        mark = logo if logo.size == (logo_w, logo_h) else logo.resize(
            (logo_w, logo_h), Image.Resampling.LANCZOS if logo_h > logo.height else Image.Resampling.BILINEAR)
        if kind == "square":  # bottom-right corner of the photo
            logo_at = (width - max(clear, edge) - logo_w, photo_box[3] - clear - logo_h)
        elif kind == "landscape":  # bottom-right of the text panel, above the accent bar
            logo_at = (width - max(clear, edge) - logo_w, height - 14 - max(clear, edge) - logo_h)
        else:  # top-right of the sign, beside the brand name
            logo_at = (width - max(clear, edge) - logo_w, max(clear, edge))
        plate = (logo_at[0] - clear, logo_at[1] - clear, logo_at[0] + logo_w + clear, logo_at[1] + logo_h + clear)
        if kind == "pop" and plate[3] + 20 > photo_box[1]:
            photo_box = (photo_box[0], plate[3] + 20, photo_box[2], photo_box[3])
    if photo is not None:
        box_size = (photo_box[2] - photo_box[0], photo_box[3] - photo_box[1])
        canvas.paste(_cover(photo, box_size), photo_box[:2])
    else:
        draw.rectangle(photo_box, fill=rgb(colours.get("surface", "#FFFFFF")))
    draw.rectangle(panel, fill=rgb(primary))
    ink = readable_on(primary)
    pad = 56 if kind != "pop" else 80
    text_width = panel[2] - panel[0] - 2 * pad
    size = {"square": 64, "landscape": 56, "pop": 110}[kind]
    face = font(size, 700)
    # As many headline lines as fit above the logo's clear space (landscape) or the accent bar.
    text_bottom = (plate[1] if kind == "landscape" and plate else panel[3] - 14) - pad // 2
    room_lines = (text_bottom - panel[1] - pad - (int(size * 0.55 * 1.35) + 8 if subline else 0)) // int(size * 1.35)
    lines = wrap(draw, headline, face, text_width, max_lines=max(1, min(3 if kind != "pop" else 2, room_lines)))
    y = panel[1] + pad
    for line in lines:
        draw.text((panel[0] + pad, y), line, font=face, fill=ink)
        y += int(size * 1.35)
    if subline:
        sub_face = font(int(size * 0.55), 400)
        sub = wrap(draw, subline, sub_face, text_width, max_lines=1)[0]
        draw.text((panel[0] + pad, y + 8), sub, font=sub_face, fill=ink)
    draw.rectangle((panel[0], panel[3] - 14, panel[2], panel[3]), fill=rgb(accent))
    if kind == "pop" and brand_name:
        top_face = font(72, 700)
        room = (plate[0] if plate else width - 80) - 80 - 20
        draw.text((80, 70), wrap(draw, brand_name, top_face, room, max_lines=1)[0], font=top_face, fill=rgb(primary))
    if mark is not None:
        draw.rectangle((plate[0], plate[1], plate[2] - 1, plate[3] - 1), fill=rgb(background))
        canvas.paste(mark, logo_at, mark if mark.mode == "RGBA" else None)
    return canvas


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
