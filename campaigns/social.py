"""Social posts of a campaign: the 1200 × 630 card (PNG, the size X, Facebook and LINE show as a
link preview) and the post's text, kept within X's 280 weighted characters.

The card is set with the same Noto Sans JP the print pieces use (``printing.print_font_path``:
every character of the app's font, 髙 and ① included) and the same Japanese line breaking
(``printing.wrap_japanese``).
"""

import io
import re
import unicodedata
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from brandkit.colour import readable_on, rgb
from brandkit.theme import DEFAULT_COLOURS, Theme

from .printing import logo_image, print_font_path, wrap_japanese

CARD_SIZE = (1200, 630)

# X (Twitter) counts a post by weight (twitter-text, configuration v3): characters in these code
# point ranges (Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts... and general punctuation)
# weigh 1, every other character (kana, kanji, full-width forms, emoji) weighs 2; any URL weighs
# 23 whatever its length; a post may weigh at most 280. Emoji sequences (with ZWJ or modifiers)
# are counted per code point here, which can only over-count: a draft within 280 here is within
# 280 on X.
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
URL_WEIGHT = 23
MAX_POST_WEIGHT = 280
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


@lru_cache(maxsize=16)
def _face(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(print_font_path(700 if bold else 400)), size)


def _logo(theme: Theme, height: int) -> Image.Image | None:
    image = logo_image(theme)
    if image is not None:
        image.thumbnail((height * 4, height), Image.Resampling.LANCZOS)
    return image


def social_card_png(*, headline: str, subline: str, theme: Theme, url: str) -> bytes:
    """The campaign's social card: the brand (logo or name), the headline (as large as fits in
    three lines), the subline and the short URL on the brand's primary colour, with the accent
    colour as a bar along the bottom. Returns PNG bytes, 1200 × 630."""
    width, height = CARD_SIZE
    primary = theme.colours.get("primary") or DEFAULT_COLOURS["primary"]
    accent = theme.colours.get("accent") or DEFAULT_COLOURS["accent"]
    ink = rgb(readable_on(primary))
    card = Image.new("RGB", CARD_SIZE, rgb(primary))
    draw = ImageDraw.Draw(card)
    pad = 72
    text_width = width - 2 * pad

    logo = _logo(theme, 64)
    if logo is not None:
        plate = (pad - 14, 44, pad + logo.width + 14, 44 + logo.height + 20)
        draw.rounded_rectangle(plate, radius=10, fill=(255, 255, 255))
        card.paste(logo, (pad, 54), logo)
    else:
        face = _face(36, True)
        brand = wrap_japanese(theme.brand_name, measure=lambda s: draw.textlength(s, font=face), width=text_width,
                              max_lines=1)[0]
        draw.text((pad, 56), brand, font=face, fill=ink)

    bottom_band = height - 120  # the URL and the accent bar live below this
    top = 168
    size = 76
    while True:
        face = _face(size, True)
        lines = wrap_japanese(headline, measure=lambda s, f=face: draw.textlength(s, font=f), width=text_width)
        if len(lines) <= 3 or size <= 44:
            break
        size -= 4
    if len(lines) > 3:
        lines = wrap_japanese(headline, measure=lambda s: draw.textlength(s, font=face), width=text_width,
                              max_lines=3)
    y = top
    for line in lines:
        draw.text((pad, y), line, font=face, fill=ink)
        y += int(size * 1.3)
    if subline:
        sub_face = _face(32, False)
        room = max(0, (bottom_band - y - 36) // 44)
        for line in wrap_japanese(subline, measure=lambda s: draw.textlength(s, font=sub_face), width=text_width,
                                  max_lines=max(1, min(2, room))) if room else []:
            draw.text((pad, y + 36), line, font=sub_face, fill=ink)
            y += 44

    url_face = _face(30, False)
    shown = url.split("://", 1)[-1]
    shown = wrap_japanese(shown, measure=lambda s: draw.textlength(s, font=url_face), width=text_width,
                          max_lines=1)[0]
    draw.text((pad, height - 92), shown, font=url_face, fill=ink)
    draw.rectangle((0, height - 18, width, height), fill=rgb(accent))
    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _char_weight(ch: str) -> int:
    code = ord(ch)
    return 1 if any(low <= code <= high for low, high in LIGHT_RANGES) else 2


def post_weight(text: str) -> int:
    """The weight X counts for ``text``: URLs 23 each, CJK and other wide characters 2, Latin 1."""
    text = unicodedata.normalize("NFC", text)
    weight = 0
    last = 0
    for match in _URL.finditer(text):
        weight += sum(_char_weight(ch) for ch in text[last:match.start()]) + URL_WEIGHT
        last = match.end()
    return weight + sum(_char_weight(ch) for ch in text[last:])


def _hashtag(tag: str) -> str:
    tag = re.sub(r"[\s#＃]+", "", unicodedata.normalize("NFKC", str(tag or "")))
    return f"#{tag}" if tag else ""


def social_post_draft(*, text: str, url: str, hashtags: list[str] | tuple[str, ...] = ()) -> str:
    """The text of a social post: ``text``, the short ``url`` and the ``hashtags``, within X's 280
    weighted characters (``post_weight``). When it is too long, hashtags are dropped from the last
    one, then the text is shortened with …; the URL always stays."""
    tags = list(dict.fromkeys(tag for tag in map(_hashtag, hashtags) if tag))
    body = (text or "").strip()

    def compose(body: str, tags: list[str]) -> str:
        draft = f"{body}\n\n{url.strip()}" if body else url.strip()
        return f"{draft}\n{' '.join(tags)}" if tags else draft

    draft = compose(body, tags)
    while post_weight(draft) > MAX_POST_WEIGHT and tags:
        tags.pop()
        draft = compose(body, tags)
    while post_weight(draft) > MAX_POST_WEIGHT and body:
        body = body[:-1].rstrip()
        draft = compose(body + "…", [])
    return draft
