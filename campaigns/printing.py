"""Print-ready campaign pieces: direct-mail postcards (A6) and in-store POP signs (A4) as PDF.

Pure layout: nothing here reads or writes a campaign. The campaign jobs hand in what to print
(``PostcardPiece``/``PopPiece``: the recipient's address, the copy, the code and the short URL of
the piece) with the brand kit's ``Theme``, and get a PDF written to a file-like object.

Fonts. The app's Noto Sans JP ships as fontsource WOFF2 files (``manage.py fonts_install``,
brandkit.fonts): one "japanese" file with the common kanji and kana (about 6,900 characters:
JIS levels 1 and 2) and about 120 small unicode-range subsets holding the rest (髙, 﨑, ～, ①,
№...: names and addresses need them). A PDF wants one TrueType font per face, so the first print
of a process merges, per weight, the japanese file and the glyphs only the subsets have into one
TTF (about 16,600 characters, 10 s once) kept in ``VAR_DIR/cache/print-fonts/``; the file name
carries a fingerprint of the source files, so a new ``fonts_install`` builds a new one. fpdf2
embeds only the glyphs a document uses (a subset, with a ToUnicode map: the text can be searched
and copied).

Postcards follow Japan Post's layout for a portrait postcard (100 × 148 mm): the seven postal-code
boxes 5.7 × 8 mm, 12 mm from the top and 8 mm from the right edge (inner edges), gaps 1.3 mm within
the first three, 1.9 mm before the fourth (with the hyphen 4 mm down), 1.1 mm within the last four;
the first three boxes and the hyphen 0.5 mm thick, the last four 0.3 mm, in 金赤 (magenta + yellow
only, as a CMYK colour, so the sorting machines see them as the spec requires). The recipient is
written horizontally under the boxes, the lower part of the address side carries the offer (like a
DM postcard: Japan Post allows advertising on the lower half of the address side), with the code,
the QR code and its short URL, and the sender at the bottom left. With ``message_side=True`` each
piece also gets the picture side (brand band, logo, headline, body, code, legal footer) as the
next page, in the order a duplex press wants: address side, message side, address side, ...

Size and speed. fpdf2 keeps a whole document in memory until it is written. Measured on this
machine (2 shared CPUs): 1,000 address sides in 10 to 18 s (segno's mask choice for each QR code
is about half of it) and about 46 MB more peak memory, 2,000 in 27 s and 58 MB (the fonts take
about 34 MB, each 1,000 pages about 12 MB); the PDF is about 2.5 kB a page. One file holds at
most ``MAX_POSTCARDS_PER_FILE`` pieces; ``postcards_pdf_files`` splits a mailing of any size into
files of that many, holding one chunk of pieces at a time.
"""

import hashlib
import io
import logging
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.drawing_primitives import DeviceCMYK
from PIL import Image

from brandkit import fonts
from brandkit.colour import readable_on, rgb
from brandkit.theme import DEFAULT_COLOURS, Theme

FONT_FAMILY = "NotoSansJP"
FONT_BUILD = 2  # bump when merge_font_subsets changes: the cached files get a new name
# fpdf2 subsets the fonts with fontTools, which logs every step at INFO
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
PT = 25.4 / 72  # one point in millimetres
POSTCARD_SIZE = (100, 148)  # mm, portrait (A6 is 105 × 148; Japan Post's postcard is 100 × 148)
POP_SIZE = (210, 297)  # A4 portrait
MAX_POSTCARDS_PER_FILE = 2000
PROGRESS_EVERY = 100

# Japan Post's postal-code boxes (郵便番号記入枠) on a portrait postcard, in mm (inner edges).
POSTAL_BOX_TOP = 12.0
POSTAL_BOX_RIGHT = 8.0
POSTAL_BOX_SIZE = (5.7, 8.0)
POSTAL_BOX_GAPS = (1.3, 1.3, 1.9, 1.1, 1.1, 1.1)  # after boxes 1..6
POSTAL_LINE_FIRST = 0.5  # the first three boxes and the hyphen: 0.4 to 0.6 mm
POSTAL_LINE_LAST = 0.3  # the last four boxes: 0.2 to 0.4 mm
POSTAL_RED = DeviceCMYK(c=0, m=1, y=1, k=0)  # 金赤: no cyan, no black ink in it


def postal_box_positions() -> list[float]:
    """The left (inner) edge of each of the seven boxes, in mm from the card's left edge."""
    width = 7 * POSTAL_BOX_SIZE[0] + sum(POSTAL_BOX_GAPS)  # 47.7 mm
    x = POSTCARD_SIZE[0] - POSTAL_BOX_RIGHT - width
    out = []
    for index in range(7):
        out.append(round(x, 3))
        if index < 6:
            x += POSTAL_BOX_SIZE[0] + POSTAL_BOX_GAPS[index]
    return out


# ---------------------------------------------------------------------------------------------
# Fonts


def _sources(weight: int) -> list[Path]:
    folder = fonts.fonts_dir()
    main = folder / f"noto-sans-jp-japanese-{weight}-normal.woff2"
    if not main.exists():
        raise FileNotFoundError(f"{main} is missing: run `manage.py fonts_install`")
    rest = sorted(p for p in folder.glob(f"noto-sans-jp-*-{weight}-normal.woff2") if p != main)
    return [main, *rest]


def print_font_path(weight: int = 400) -> Path:
    """The TrueType file (built once, then cached under VAR_DIR) that prints use for ``weight``."""
    weight = 700 if weight >= 600 else 400
    sources = _sources(weight)
    fingerprint = hashlib.sha256(
        f"{FONT_BUILD}|".encode() + "|".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}" for p in sources).encode()
    ).hexdigest()[:12]
    path = _built_font(str(sources[0].parent), weight, fingerprint)
    if not path.exists():  # the cache folder was cleared while this process ran
        _built_font.cache_clear()
        path = _built_font(str(sources[0].parent), weight, fingerprint)
    return path


@lru_cache(maxsize=8)
def _built_font(folder: str, weight: int, fingerprint: str) -> Path:
    target_dir = Path(settings.VAR_DIR) / "cache" / "print-fonts"
    target = target_dir / f"noto-sans-jp-print-{weight}-{fingerprint}.ttf"
    if not target.exists():
        target_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        merge_font_subsets(_sources(weight), partial, weight=weight)
        os.replace(partial, target)  # atomic: a concurrent builder writes the same bytes
    return target


def merge_font_subsets(sources: list[Path], target: Path, *, weight: int = 400) -> int:
    """Write one TTF with every character of ``sources`` (fontsource subsets of one font): the
    first file whole, then the glyphs of characters it lacks from the others. The subsets are cut
    from the same font, so a glyph (simple TrueType outlines, no composites) is copied as it is.
    Returns the number of characters covered."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    base = TTFont(str(sources[0]))
    base.flavor = None  # written as a plain TTF
    order = list(base.getGlyphOrder())
    names = set(order)
    glyf, hmtx = base["glyf"], base["hmtx"]
    vmtx = base.get("vmtx")
    cmap: dict[int, str] = dict(base.getBestCmap())
    for path in sources[1:]:
        source = TTFont(str(path))
        for codepoint, glyph_name in sorted(source.getBestCmap().items()):
            if codepoint in cmap:
                continue
            glyph = source["glyf"][glyph_name]
            if glyph.isComposite():  # never in these subsets; skip rather than copy a broken one
                continue
            name = glyph_name if glyph_name not in names else f"{glyph_name}.u{codepoint:X}"
            if name not in names:
                glyf.glyphs[name] = glyph
                hmtx.metrics[name] = source["hmtx"].metrics[glyph_name]
                if vmtx is not None:
                    vmtx.metrics[name] = (source["vmtx"].metrics[glyph_name] if "vmtx" in source
                                          else (base["head"].unitsPerEm, base["hhea"].ascent))
                order.append(name)
                names.add(name)
            cmap[codepoint] = name
    base.setGlyphOrder(order)
    glyf.glyphOrder = order
    bmp = {cp: name for cp, name in cmap.items() if cp <= 0xFFFF}
    tables = [t for t in base["cmap"].tables if t.format == 14]  # keep variation sequences
    for platform, encoding, fmt, mapping in ((0, 3, 4, bmp), (3, 1, 4, bmp), (0, 4, 12, cmap), (3, 10, 12, cmap)):
        table = CmapSubtable.newSubtable(fmt)
        table.platformID, table.platEncID, table.language = platform, encoding, 0
        table.cmap = dict(mapping)
        tables.append(table)
    base["cmap"].tables = sorted(tables, key=lambda t: (t.platformID, t.platEncID))
    # fontsource's files are instances of the variable font still named "Noto Sans JP Thin"
    style = "Bold" if weight >= 600 else "Regular"
    base["name"].names = []
    for name_id, value in ((1, "Noto Sans JP"), (2, style), (3, f"NotoSansJP-{style};omnishop-print"),
                           (4, f"Noto Sans JP {style}"), (6, f"NotoSansJP-{style}")):
        base["name"].setName(value, name_id, 3, 1, 0x409)
    base["OS/2"].usWeightClass = 700 if weight >= 600 else 400
    base.save(str(target))
    return len(cmap)


# ---------------------------------------------------------------------------------------------
# Japanese line breaking (禁則処理, basic)

# Never at the start of a line: closing brackets, punctuation, small kana, the prolonged sound
# mark and iteration marks (JIS X 4051 行頭禁則, the usual "strict" set).
NO_LINE_START = frozenset(
    "、。，．,.)]}）］｝〕〉》」』】〙〗〟’”｠»‐゠–〜～?!？！‼⁇⁈⁉・:;：；/／…‥"
    "ーぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻ゝゞヽヾ%％℃円"
)
# Never at the end of a line: opening brackets.
NO_LINE_END = frozenset("([{（［｛〔〈《「『【〘〖〝‘“｟«￥¥$＄〒#＃")
# Hung past the margin (ぶら下げ) rather than pushing a character down.
HANGING = frozenset("、。，．,.")
# Characters kept together as one unit: a Latin word, a number, a URL.
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@#&+-_=~:/.,'’%?!")


def _units(paragraph: str) -> list[str]:
    units: list[str] = []
    word = ""
    for ch in paragraph:
        if ch in _WORD:
            word += ch
            continue
        if word:
            units.append(word)
            word = ""
        units.append(ch)
    if word:
        units.append(word)
    return units


def _split_long(unit: str, measure: Callable[[str], float], width: float) -> list[str]:
    parts, part = [], ""
    for ch in unit:
        if part and measure(part + ch) > width:
            parts.append(part)
            part = ""
        part += ch
    return [*parts, part] if part else parts


def wrap_japanese(text: str, *, measure: Callable[[str], float], width: float,
                  max_lines: int | None = None) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (as ``measure`` counts), Japanese style:
    anywhere between characters, but never inside a Latin word, number or URL, never with a
    closing bracket, 。、, a small kana or ー at the start of a line (、。 hang past the margin; the
    others take the previous character down with them) and never with an opening bracket at the
    end. Line breaks in ``text`` are kept. With ``max_lines``, the last kept line ends with …."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        units: list[str] = []
        for unit in _units(paragraph):
            units += [unit] if len(unit) == 1 or measure(unit) <= width else _split_long(unit, measure, width)
        line: list[str] = []
        line_width = 0.0
        index = 0
        while index < len(units):
            unit = units[index]
            unit_width = measure(unit)
            if not line and unit == " ":
                index += 1  # no space at the start of a line
                continue
            if not line or line_width + unit_width <= width:
                line.append(unit)
                line_width += unit_width
                index += 1
                continue
            following = units[index + 1] if index + 1 < len(units) else ""
            if unit in HANGING and following not in NO_LINE_START:  # ぶら下げ: 、。 stay, past the margin
                line.append(unit)
                index += 1
            else:
                # 追い出し: move characters down until the next line may start with what it starts with
                carried: list[str] = []
                while len(line) > 1 and ((carried or [unit])[0] in NO_LINE_START or line[-1] in NO_LINE_END):
                    carried.insert(0, line.pop())
                index -= len(carried)
            lines.append("".join(line).rstrip())
            line, line_width = [], 0.0
        if line or not paragraph.strip():
            lines.append("".join(line).rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and measure(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip("、。,. ") + "…"
    return lines


def breaks_are_valid(lines: list[str]) -> bool:
    """True when no line starts with a character barred from the start (a hung 、。 excepted at
    the end of the previous line) or ends with an opening bracket."""
    for number, line in enumerate(lines):
        if number and line and line[0] in NO_LINE_START:
            return False
        if line and line[-1] in NO_LINE_END:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Drawing helpers


def qr_modules(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code for ``url``: its size in modules and its dark modules as horizontal runs
    (row, first column, length), without the quiet zone. Error correction M (a card survives a
    crease and a thumb); segno picks the mask as the standard says (the lowest penalty)."""
    matrix = segno.make_qr(url, error="m", boost_error=False).matrix
    runs = []
    for row, cells in enumerate(matrix):
        start = None
        for column, dark in enumerate([*cells, 0]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row, start, column - start))
                start = None
    return len(matrix), runs


def logo_bytes(theme: Theme) -> bytes | None:
    """The theme's PNG logo read from the media storage, or None (no logo, or not readable)."""
    url = theme.logo_png_url
    if not url:
        return None
    path = unquote(urlsplit(url).path)
    media = urlsplit(settings.MEDIA_URL).path
    if not path.startswith(media):
        return None
    try:
        with default_storage.open(path[len(media):]) as handle:
            return handle.read()
    except (OSError, ValueError):
        return None


def logo_image(theme: Theme, *, side: int = 800) -> Image.Image | None:
    """The theme's logo decoded once (RGBA, at most ``side`` px), or None when there is none or
    it cannot be read: a print never fails for its logo."""
    data = logo_bytes(theme)
    if not data:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    image = image.convert("RGBA")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _colour(theme: Theme, role: str) -> tuple[int, int, int]:
    return rgb(theme.colours.get(role) or DEFAULT_COLOURS[role])


class _Document(FPDF):
    """An fpdf2 document in mm with the app's Japanese font in both weights."""

    def __init__(self, size: tuple[float, float], title: str):
        super().__init__(orientation="P", unit="mm", format=size)
        self.set_auto_page_break(False)
        self.set_margin(0)
        self.add_font(FONT_FAMILY, "", str(print_font_path(400)))
        self.add_font(FONT_FAMILY, "B", str(print_font_path(700)))
        self.set_lang("ja")
        self.set_title(title)
        self.set_creator("Omnishop")
        self.c_margin = 0
        self._widths: dict[tuple[str, float], dict[str, float]] = {}

    def measure(self, size: float, bold: bool = False) -> Callable[[str], float]:
        style = "B" if bold else ""
        widths = self._widths.setdefault((style, size), {})

        def width(text: str) -> float:
            if text not in widths:
                self.set_font(FONT_FAMILY, style, size)
                widths[text] = self.get_string_width(text)
            return widths[text]

        return width

    def write_lines(self, lines: list[str], *, x: float, top: float, size: float, leading: float = 1.5,
                    bold: bool = False, align: str = "L", box_width: float = 0) -> float:
        """Set ``lines`` from ``top`` (the top of the first line's em box); returns the y under them."""
        self.set_font(FONT_FAMILY, "B" if bold else "", size)
        em = size * PT
        y = top
        for line in lines:
            left = x
            if align == "C":
                left = x + (box_width - self.get_string_width(line)) / 2
            elif align == "R":
                left = x + box_width - self.get_string_width(line)
            self.text(left, y + em * 0.88, line)  # baseline: Noto's em box spans -0.12 .. 0.88
            y += em * leading
        return y

    def fit_size(self, text: str, *, width: float, largest: float, smallest: float, bold: bool = True,
                 max_lines: int = 1) -> tuple[float, list[str]]:
        """The largest size (in 2 pt steps) at which ``text`` wraps into ``max_lines`` lines."""
        size = largest
        while True:
            lines = wrap_japanese(text, measure=self.measure(size, bold), width=width)
            if len(lines) <= max_lines or size <= smallest:
                return size, lines[:max_lines] if len(lines) <= max_lines else wrap_japanese(
                    text, measure=self.measure(size, bold), width=width, max_lines=max_lines)
            size = max(size - 2, smallest)

    def qr(self, url: str, *, x: float, y: float, side: float) -> None:
        """Draw the QR code of ``url`` in a ``side`` mm square (white, with the 4-module quiet zone)."""
        modules, runs = qr_modules(url)
        unit = side / (modules + 8)
        self.set_fill_color(255, 255, 255)
        self.rect(x, y, side, side, style="F")
        self.set_fill_color(0, 0, 0)
        left, top = x + 4 * unit, y + 4 * unit
        for row, column, length in runs:
            # a hair of overlap so no white seam shows between neighbouring runs when printed
            self.rect(left + column * unit, top + row * unit, length * unit, unit + 0.01, style="F")


# ---------------------------------------------------------------------------------------------
# Postcards


@dataclass
class PostcardPiece:
    """One recipient's postcard: where it goes, what it says, and its own code and short URL."""

    name: str
    postal_code: str
    address_lines: list[str]
    headline: str
    body: str
    code: str
    qr_url: str


_FULL_WIDTH = str.maketrans({**{chr(0x30 + d): chr(0xFF10 + d) for d in range(10)},
                             "-": "－", "‐": "－", "−": "－", "#": "＃", " ": "　"})


def address_text(line: str) -> str:
    """An address line as Japan Post asks printed addresses to be: digits, hyphens and spaces in
    full width (１丁目２－３), half-width katakana as full width, other characters as written."""
    from kernel.japan import fullwidth_kana

    return fullwidth_kana(line.strip()).translate(_FULL_WIDTH)


def _postal_digits(postal_code: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", postal_code or "") if ch.isdigit())
    return digits if len(digits) == 7 else ""


def _draw_postal_boxes(pdf: _Document, postal_code: str) -> None:
    width, height = POSTAL_BOX_SIZE
    pdf.set_draw_color(POSTAL_RED)
    positions = postal_box_positions()
    for index, left in enumerate(positions):
        line = POSTAL_LINE_FIRST if index < 3 else POSTAL_LINE_LAST
        pdf.set_line_width(line)
        # the spec measures the boxes from the inside of their lines
        pdf.rect(left - line / 2, POSTAL_BOX_TOP - line / 2, width + line, height + line)
    pdf.set_line_width(POSTAL_LINE_FIRST)
    hyphen_y = POSTAL_BOX_TOP + 4.0
    pdf.line(positions[2] + width + POSTAL_LINE_FIRST, hyphen_y, positions[3] - POSTAL_LINE_LAST, hyphen_y)
    digits = _postal_digits(postal_code)
    if digits:
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT_FAMILY, "", 15)
        for left, digit in zip(positions, digits, strict=True):
            pdf.text(left + (width - pdf.get_string_width(digit)) / 2, POSTAL_BOX_TOP + 6.1, digit)


def _draw_postcard(pdf: _Document, piece: PostcardPiece, *, theme: Theme, sender_name: str,
                   sender_address: str, logo: Image.Image | None, postage_mark: str) -> None:
    card_w, card_h = POSTCARD_SIZE
    text = _colour(theme, "text")
    primary = theme.colours.get("primary") or DEFAULT_COLOURS["primary"]
    on_primary = rgb(readable_on(primary))
    accent = _colour(theme, "accent")
    pdf.add_page()

    # Postage (料金別納/後納 mark) at the top left, where a stamp would go.
    if postage_mark:
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.3)
        pdf.rect(9, 8, 16, 16, style="D", round_corners=True, corner_radius=2.5)
        pdf.set_text_color(0, 0, 0)
        mark_lines = wrap_japanese(postage_mark, measure=pdf.measure(7), width=12, max_lines=3)
        pdf.write_lines(mark_lines, x=9, top=16 - len(mark_lines) * 7 * PT * 1.3 / 2, size=7, leading=1.3,
                        align="C", box_width=16)
    _draw_postal_boxes(pdf, piece.postal_code)

    # The recipient: address (horizontal), then the name with 様, larger.
    pdf.set_text_color(0, 0, 0)
    left, right = 14.0, card_w - 8.0
    y = 30.0
    address_measure = pdf.measure(11)
    address_lines: list[str] = []
    for line in piece.address_lines:
        address_lines += wrap_japanese(address_text(line), measure=address_measure, width=right - left - 2)
    y = pdf.write_lines(address_lines[:5], x=left, top=y, size=11, leading=1.45)
    name = f"{piece.name.strip()} 様"
    name_size, name_lines = pdf.fit_size(name, width=right - left - 8, largest=18, smallest=12, max_lines=1)
    pdf.write_lines(name_lines, x=left + 6, top=max(y + 3, 52 - name_size * PT), size=name_size, bold=True)

    # The offer, on the lower part of the address side (DM style).
    panel_top, panel_bottom = 74.0, 124.0
    pdf.set_fill_color(*rgb(primary))
    pdf.rect(0, panel_top, card_w, panel_bottom - panel_top, style="F")
    pdf.set_fill_color(*accent)
    pdf.rect(0, panel_bottom - 1.2, card_w, 1.2, style="F")
    qr_side = 25.0
    qr_x, qr_y = card_w - 6 - qr_side, panel_top + 5
    column = qr_x - 6 - 6
    pdf.set_text_color(*on_primary)
    size, lines = pdf.fit_size(piece.headline, width=column, largest=14, smallest=10, max_lines=2)
    y = pdf.write_lines(lines, x=6, top=panel_top + 5, size=size, bold=True, leading=1.3)
    body_lines = wrap_japanese(piece.body, measure=pdf.measure(7.5), width=column,
                               max_lines=max(1, int((panel_bottom - 15 - y) / (7.5 * PT * 1.5))))
    pdf.write_lines(body_lines, x=6, top=y + 1.5, size=7.5, leading=1.5)
    # The piece's code, on a white tag the till can read from.
    label = str(_("Coupon code"))
    label_w = pdf.measure(5.5)(label)
    code_w = pdf.measure(10, bold=True)(piece.code)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(6, panel_bottom - 11, min(label_w + code_w + 6, column), 7, style="F", round_corners=True,
             corner_radius=1.2)
    pdf.set_text_color(*text)
    pdf.set_font(FONT_FAMILY, "", 5.5)
    pdf.text(8, panel_bottom - 6.4, label)
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.text(8 + label_w + 2, panel_bottom - 5.8, piece.code)
    pdf.qr(piece.qr_url, x=qr_x, y=qr_y, side=qr_side)
    pdf.set_text_color(*on_primary)
    url_lines = wrap_japanese(_display_url(piece.qr_url), measure=pdf.measure(4.5), width=qr_side + 4, max_lines=2)
    pdf.write_lines(url_lines, x=qr_x - 2, top=qr_y + qr_side + 1.2, size=4.5, leading=1.25, align="C",
                    box_width=qr_side + 4)

    # The sender at the bottom left; the logo beside it when the kit has one.
    pdf.set_text_color(*text)
    sender_top = 128.0
    sender_left = 8.0
    if logo is not None:
        pdf.image(logo, x=card_w - 8 - 24, y=sender_top, w=24, h=9, keep_aspect_ratio=True)
    name_lines = wrap_japanese(sender_name, measure=pdf.measure(8, bold=True), width=56, max_lines=1)
    y = pdf.write_lines(name_lines, x=sender_left, top=sender_top, size=8, bold=True, leading=1.35)
    address_lines = []
    for line in (sender_address or "").splitlines():
        address_lines += wrap_japanese(line, measure=pdf.measure(6.5), width=62)
    pdf.write_lines(address_lines[:3], x=sender_left, top=y, size=6.5, leading=1.35)


def _draw_message_side(pdf: _Document, piece: PostcardPiece, *, theme: Theme, logo: Image.Image | None) -> None:
    """The picture side: brand band (logo or name), the headline large, the body, the code."""
    card_w, card_h = POSTCARD_SIZE
    primary = theme.colours.get("primary") or DEFAULT_COLOURS["primary"]
    on_primary = rgb(readable_on(primary))
    text = _colour(theme, "text")
    margin = 9.0
    inner = card_w - 2 * margin
    pdf.add_page()
    pdf.set_fill_color(*_colour(theme, "background"))
    pdf.rect(0, 0, card_w, card_h, style="F")
    pdf.set_fill_color(*rgb(primary))
    pdf.rect(0, 0, card_w, 22, style="F")
    if logo is not None:
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(margin - 1.5, 5, 30, 12, style="F", round_corners=True, corner_radius=1.5)
        pdf.image(logo, x=margin, y=6, w=27, h=10, keep_aspect_ratio=True)
    else:
        pdf.set_text_color(*on_primary)
        brand = wrap_japanese(theme.brand_name, measure=pdf.measure(13, bold=True), width=inner, max_lines=1)
        pdf.write_lines(brand, x=margin, top=11 - 13 * PT / 2, size=13, bold=True)
    pdf.set_text_color(*rgb(primary))
    size, lines = pdf.fit_size(piece.headline, width=inner, largest=22, smallest=13, max_lines=3)
    y = pdf.write_lines(lines, x=margin, top=32, size=size, bold=True, leading=1.3)
    pdf.set_fill_color(*_colour(theme, "accent"))
    pdf.rect(margin, y + 2, 16, 1.2, style="F")
    pdf.set_text_color(*text)
    room = int((card_h - 34 - (y + 8)) / (9 * PT * 1.7))
    body = wrap_japanese(piece.body, measure=pdf.measure(9), width=inner, max_lines=max(1, room))
    pdf.write_lines(body, x=margin, top=y + 8, size=9, leading=1.7)
    label = str(_("Coupon code"))
    label_w = pdf.measure(7)(label)
    pdf.set_draw_color(*rgb(primary))
    pdf.set_line_width(0.4)
    pdf.rect(margin, card_h - 30, inner, 11, style="D", round_corners=True, corner_radius=1.5)
    pdf.set_text_color(*text)
    pdf.set_font(FONT_FAMILY, "", 7)
    pdf.text(margin + 4, card_h - 23.3, label)
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.text(margin + 4 + label_w + 3, card_h - 22.3, piece.code)
    footer = " ".join(part for part in (theme.legal_name, theme.legal_footer) if part)
    if footer:
        lines = wrap_japanese(footer, measure=pdf.measure(6), width=inner, max_lines=2)
        pdf.write_lines(lines, x=margin, top=card_h - 14, size=6, leading=1.4)


def _display_url(url: str) -> str:
    """The short URL as printed, what people type: without the scheme and the query (the QR code
    carries the whole URL, with the signed recipient reference)."""
    return urlsplit(url)._replace(scheme="", query="", fragment="").geturl().lstrip("/")


def postcards_pdf(*, pieces: Iterable[PostcardPiece], theme: Theme, sender_name: str, sender_address: str,
                  out: BinaryIO, progress: Callable[[int], None] | None = None, postage_mark: str = "",
                  message_side: bool = False) -> int:
    """Write one postcard page (address side with the offer) per piece to ``out``; return the
    number of pages written. ``progress(n)`` is called every ``PROGRESS_EVERY`` pieces and at the end.
    ``postage_mark`` (e.g. "料金別納郵便") is printed where the stamp goes; ``message_side`` adds
    each piece's picture side as the next page (two pages a piece). At most
    ``MAX_POSTCARDS_PER_FILE`` pieces (fpdf2 holds the document in memory until it is written):
    use ``postcards_pdf_files`` for a larger mailing."""
    pdf = _Document(POSTCARD_SIZE, str(_("Direct-mail postcards")))
    logo = logo_image(theme)
    count = 0
    for piece in pieces:
        if count >= MAX_POSTCARDS_PER_FILE:
            raise ValueError(f"more than {MAX_POSTCARDS_PER_FILE} postcards in one file: use postcards_pdf_files")
        _draw_postcard(pdf, piece, theme=theme, sender_name=sender_name, sender_address=sender_address,
                       logo=logo, postage_mark=postage_mark)
        if message_side:
            _draw_message_side(pdf, piece, theme=theme, logo=logo)
        count += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    if not count:
        pdf.add_page()  # a valid, empty PDF rather than none at all
    out.write(pdf.output())
    if progress and count % PROGRESS_EVERY:
        progress(count)
    return count * (2 if message_side else 1)


def _chunks(pieces: Iterable[PostcardPiece], size: int) -> Iterator[list[PostcardPiece]]:
    chunk: list[PostcardPiece] = []
    for piece in pieces:
        chunk.append(piece)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def postcards_pdf_files(*, pieces: Iterable[PostcardPiece], theme: Theme, sender_name: str, sender_address: str,
                        open_file: Callable[[int], BinaryIO], per_file: int = MAX_POSTCARDS_PER_FILE,
                        progress: Callable[[int], None] | None = None, postage_mark: str = "",
                        message_side: bool = False) -> list[int]:
    """A mailing of any size as several PDFs of at most ``per_file`` postcards: ``open_file(n)``
    (n = 1, 2, ...) gives the file to write the n-th to (it is closed here). Returns the page
    count of each file; ``progress`` counts pieces across files. Only one chunk of pieces is held
    at a time."""
    counts: list[int] = []
    done = 0
    for number, chunk in enumerate(_chunks(pieces, min(per_file, MAX_POSTCARDS_PER_FILE)), start=1):
        with open_file(number) as out:
            counts.append(postcards_pdf(
                pieces=chunk, theme=theme, sender_name=sender_name, sender_address=sender_address, out=out,
                postage_mark=postage_mark, message_side=message_side,
                progress=(lambda n, base=done: progress(base + n)) if progress else None))
        done += len(chunk)
    return counts


# ---------------------------------------------------------------------------------------------
# In-store POP


@dataclass
class PopPiece:
    """A store sign: the headline (≤ 24 characters by the kit's rule), body, price, validity, code."""

    headline: str
    body: str
    price_text: str
    valid_text: str
    code: str
    qr_url: str


def pop_pdf(*, piece: PopPiece, theme: Theme, out: BinaryIO) -> None:
    """Write an A4 portrait POP sign for ``piece`` to ``out``."""
    width, height = POP_SIZE
    pdf = _Document(POP_SIZE, str(_("In-store POP")))
    pdf.add_page()
    primary = theme.colours.get("primary") or DEFAULT_COLOURS["primary"]
    on_primary = rgb(readable_on(primary))
    text = _colour(theme, "text")
    accent = _colour(theme, "accent")
    margin = 15.0
    inner = width - 2 * margin

    pdf.set_fill_color(*_colour(theme, "background"))
    pdf.rect(0, 0, width, height, style="F")
    # Brand band: the logo on a white plate, or the brand name.
    pdf.set_fill_color(*rgb(primary))
    pdf.rect(0, 0, width, 30, style="F")
    logo = logo_image(theme)
    brand_left = margin
    if logo is not None:
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(margin - 2, 6, 40, 18, style="F", round_corners=True, corner_radius=2)
        pdf.image(logo, x=margin, y=8, w=36, h=14, keep_aspect_ratio=True)
        brand_left = margin + 44
    pdf.set_text_color(*on_primary)
    brand = wrap_japanese(theme.brand_name, measure=pdf.measure(20, bold=True), width=width - margin - brand_left,
                          max_lines=1)
    pdf.write_lines(brand, x=brand_left, top=15 - 20 * PT / 2, size=20, bold=True)

    # Headline, as large as fits in two lines.
    pdf.set_text_color(*rgb(primary))
    size, lines = pdf.fit_size(piece.headline, width=inner, largest=64, smallest=30, max_lines=2)
    words = piece.headline.replace("\u3000", " ").split()
    if len(words) == 2:  # a space in a headline is the copywriter's line break: keep it when it fits
        at_space, space_lines = pdf.fit_size("\n".join(words), width=inner, largest=64, smallest=30, max_lines=2)
        if at_space >= size * 0.75:
            size, lines = at_space, space_lines
    y = pdf.write_lines(lines, x=margin, top=42, size=size, bold=True, leading=1.25, align="C", box_width=inner)
    pdf.set_fill_color(*accent)
    pdf.rect(width / 2 - 20, y + 3, 40, 1.5, style="F")

    # Body.
    pdf.set_text_color(*text)
    body = wrap_japanese(piece.body, measure=pdf.measure(18), width=inner - 10, max_lines=5)
    y = pdf.write_lines(body, x=margin + 5, top=y + 12, size=18, leading=1.6, align="C", box_width=inner - 10)

    # Price (税込, big, in the accent colour), then validity.
    price_top = max(y + 8, 150.0)
    if piece.price_text:
        pdf.set_text_color(*accent)
        size, lines = pdf.fit_size(piece.price_text, width=inner, largest=80, smallest=28, max_lines=1)
        y = pdf.write_lines(lines, x=margin, top=price_top, size=size, bold=True, leading=1.15, align="C",
                            box_width=inner)
    else:
        y = price_top
    if piece.valid_text:
        pdf.set_text_color(*text)
        lines = wrap_japanese(piece.valid_text, measure=pdf.measure(16), width=inner, max_lines=2)
        pdf.write_lines(lines, x=margin, top=y + 4, size=16, leading=1.4, align="C", box_width=inner)

    # Code and QR in a panel of the primary colour at the bottom.
    panel_top, panel_bottom = 222.0, 280.0
    pdf.set_fill_color(*rgb(primary))
    pdf.rect(0, panel_top, width, panel_bottom - panel_top, style="F")
    qr_side = 46.0
    qr_x = width - margin - qr_side
    pdf.qr(piece.qr_url, x=qr_x, y=panel_top + 6, side=qr_side)
    pdf.set_text_color(*on_primary)
    column = qr_x - margin - 8
    call = wrap_japanese(str(_("Scan for details, or show this code at the till")),
                         measure=pdf.measure(12, bold=True), width=column, max_lines=1)
    pdf.write_lines(call, x=margin, top=panel_top + 8, size=12, bold=True)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(margin, panel_top + 18, column, 18, style="F", round_corners=True, corner_radius=2.5)
    pdf.set_text_color(*text)
    label = str(_("Coupon code"))
    label_w = pdf.measure(10)(label)
    pdf.write_lines([label], x=margin + 5, top=panel_top + 27 - 10 * PT / 2, size=10)
    code_size, code_lines = pdf.fit_size(piece.code, width=column - label_w - 14, largest=30, smallest=14,
                                         max_lines=1)
    pdf.write_lines(code_lines, x=margin + label_w + 9, top=panel_top + 27 - code_size * PT / 2, size=code_size,
                    bold=True)
    pdf.set_text_color(*on_primary)
    url_lines = wrap_japanese(_display_url(piece.qr_url), measure=pdf.measure(10), width=column, max_lines=2)
    pdf.write_lines(url_lines, x=margin, top=panel_top + 42, size=10, leading=1.3)
    pdf.set_fill_color(*accent)
    pdf.rect(0, panel_bottom, width, 2, style="F")

    # Legal footer.
    footer = " ".join(part for part in (theme.legal_name, theme.legal_footer) if part)
    if footer:
        pdf.set_text_color(*text)
        lines = wrap_japanese(footer, measure=pdf.measure(8), width=inner, max_lines=2)
        pdf.write_lines(lines, x=margin, top=285, size=8, leading=1.35, align="C", box_width=inner)
    out.write(pdf.output())
