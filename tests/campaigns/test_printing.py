"""Print-ready pieces (postcards, POP) and social cards/posts: read back from the bytes produced.

The PDFs are parsed here with a few regular expressions (fpdf2 writes plain objects, Flate
streams, literal strings of 2-byte CIDs): page sizes, the embedded fonts (opened with fontTools),
the text through each font's ToUnicode map, and the rectangles drawn (postal-code boxes, QR)."""

import io
import re
import zlib

import pytest
import segno
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from brandkit.theme import Theme
from campaigns import printing, social
from campaigns.printing import (
    PopPiece,
    PostcardPiece,
    breaks_are_valid,
    pop_pdf,
    postal_box_positions,
    postcards_pdf,
    postcards_pdf_files,
    wrap_japanese,
)

MM = 72 / 25.4
QR_URL = "https://shop.example.jp/r/ad3k7qxp?t=1b:Xy3kL9aVbQ2mPz"
SENDER = "株式会社港町商店 港町ストア"
SENDER_ADDRESS = "〒231-0001 神奈川県横浜市中区新港1-2-3\nTEL 045-123-4567（10:00～18:00）"


def theme(**kwargs) -> Theme:
    return Theme(brand_name="港町ストア", legal_name="株式会社港町商店",
                 legal_footer="〒231-0001 神奈川県横浜市中区新港1-2-3", **kwargs)


def piece(n: int = 0, **kwargs) -> PostcardPiece:
    values = {"name": "髙﨑 花子", "postal_code": "231-0001",
              "address_lines": ["神奈川県横浜市中区新港1丁目2番3号", f"みなとみらいレジデンス {1200 + n}号室"],
              "headline": "冬のご愛顧感謝祭、はじまります。",
              "body": "このはがきを店頭でご提示いただくと、お会計から10％割引いたします（～12月31日）。",
              "code": f"CK7QH3X{n}", "qr_url": f"{QR_URL}{n}"}
    values.update(kwargs)
    return PostcardPiece(**values)


def render_postcards(pieces, **kwargs) -> tuple[int, bytes]:
    out = io.BytesIO()
    pages = postcards_pdf(pieces=pieces, theme=kwargs.pop("theme", theme()), sender_name=SENDER,
                          sender_address=SENDER_ADDRESS, out=out, **kwargs)
    return pages, out.getvalue()


# --- a small reader for what fpdf2 writes -------------------------------------------------------


class Pdf:
    def __init__(self, data: bytes):
        assert data.startswith(b"%PDF-")
        self.data = data
        self.objects: dict[int, tuple[bytes, bytes | None]] = {}
        for number, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S):
            stream = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
            content = None
            if stream:
                content = stream.group(1)
                if b"/FlateDecode" in body.split(b"stream")[0]:
                    content = zlib.decompress(content)
            self.objects[int(number)] = (body.split(b"stream")[0], content)

    def ref(self, head: bytes, key: bytes) -> int:
        return int(re.search(rb"/" + key + rb" (\d+) 0 R", head).group(1))

    @property
    def pages(self) -> list[bytes]:
        return [head for head, _ in self.objects.values() if re.search(rb"/Type /Page\b(?!s)", head)]

    def media_box(self) -> list[float]:
        return [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", self.data).group(1).split()]

    def content(self, page: bytes) -> bytes:
        return self.objects[self.ref(page, b"Contents")][1]

    def fonts(self) -> dict[bytes, dict]:
        """Resource name (b'F1') -> base font name, ToUnicode map, CID -> GID map, the embedded TTF."""
        resources = next(head for head, _ in self.objects.values() if b"/Font <<" in head)
        out = {}
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", resources):
            head = self.objects[int(number)][0]
            descendant = self.objects[int(re.search(rb"/DescendantFonts \[(\d+) 0 R\]", head).group(1))][0]
            descriptor = self.objects[self.ref(descendant, b"FontDescriptor")][0]
            to_unicode = {}
            cmap = self.objects[self.ref(head, b"ToUnicode")][1].decode()
            for cid, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap):
                to_unicode[int(cid, 16)] = bytes.fromhex(text).decode("utf-16-be")
            gids = self.objects[self.ref(descendant, b"CIDToGIDMap")][1]
            out[name] = {
                "base": re.search(rb"/BaseFont /(\S+)", head).group(1).decode(),
                "to_unicode": to_unicode,
                "cid_to_gid": {i // 2: int.from_bytes(gids[i:i + 2], "big") for i in range(0, len(gids), 2)},
                "ttf": TTFont(io.BytesIO(self.objects[self.ref(descriptor, b"FontFile2")][1])),
            }
        return out

    def runs(self, page: bytes, *, sizes: bool = False) -> list[tuple]:
        """(font resource, x pt, y pt, CIDs) of every text run on ``page`` (+ the size in pt)."""
        content = self.content(page)
        font, size = None, 0.0
        out = []
        position = 0
        pattern = re.compile(rb"/(F\d+) ([\d.]+) Tf|BT ([\d.-]+) ([\d.-]+) Td \(")
        while match := pattern.search(content, position):
            if match.group(1):
                font, size = match.group(1), float(match.group(2))
                position = match.end()
                continue
            raw, position = _literal(content, match.end())
            cids = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
            out.append((font, float(match.group(3)), float(match.group(4)), cids, *([size] if sizes else [])))
        return out

    def text(self, page: bytes) -> list[str]:
        fonts = self.fonts()
        return ["".join(fonts[font]["to_unicode"][cid] for cid in cids) for font, _x, _y, cids in self.runs(page)]

    def rects(self, page: bytes, op: bytes) -> list[tuple[float, float, float, float]]:
        """Rectangles ``x y w h re <op>`` as (left, top, width, height) in mm from the top left."""
        height = self.media_box()[3]
        out = []
        for x, y, w, h in re.findall(rb"([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re " + op + rb"\n",
                                     self.content(page)):
            out.append((float(x) / MM, (height - float(y)) / MM, float(w) / MM, -float(h) / MM))
        return out


def _literal(content: bytes, start: int) -> tuple[bytes, int]:
    out = bytearray()
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    i = start
    while content[i] != ord(")"):
        if content[i] == ord("\\"):
            i += 1
            out.append(escapes.get(content[i], content[i]))
        else:
            out.append(content[i])
        i += 1
    return bytes(out), i + 1


# --- fonts ----------------------------------------------------------------------------------------


def test_print_font_has_kanji_kana_and_the_symbols_the_japanese_subset_lacks():
    cmap = TTFont(str(printing.print_font_path(400))).getBestCmap()
    japanese_only = TTFont(str(printing._sources(400)[0])).getBestCmap()
    for ch in "漢字かなカナ〒￥様。「」":
        assert ord(ch) in cmap, ch
    for ch in "髙﨑～①№":  # in the unicode-range subsets only: merged in
        assert ord(ch) not in japanese_only
        assert ord(ch) in cmap, ch


def test_print_font_is_built_once_and_named_noto_sans_jp():
    first = printing.print_font_path(700)
    assert printing.print_font_path(700) == first
    font = TTFont(str(first))
    assert font["name"].getDebugName(1) == "Noto Sans JP"
    assert font["name"].getDebugName(6) == "NotoSansJP-Bold"
    assert font["OS/2"].usWeightClass == 700


# --- postcards ------------------------------------------------------------------------------------


def test_postcards_pdf_writes_one_postcard_sized_page_per_piece():
    pages, data = render_postcards([piece(0), piece(1), piece(2)])
    pdf = Pdf(data)
    assert pages == 3
    assert len(pdf.pages) == 3
    assert pdf.media_box() == [0, 0, 283.46, 419.53]  # 100 × 148 mm


def test_postcard_text_names_the_recipient_with_sama_and_carries_code_url_and_sender():
    _, data = render_postcards([piece(7)])
    pdf = Pdf(data)
    text = "\n".join(pdf.text(pdf.pages[0]))
    assert "髙﨑 花子 様" in text
    assert "神奈川県横浜市中区新港１丁目２番３号" in text  # address digits in full width, as Japan Post asks
    assert "CK7QH3X7" in text
    assert "shop.example.jp/r/ad3k7qxp" in text
    assert SENDER in text
    assert "〒231-0001 神奈川県横浜市中区新港1-2-3" in text
    assert "冬のご愛顧感謝祭" in text


def test_every_character_printed_has_a_real_glyph_in_the_embedded_subset():
    _, data = render_postcards([piece()])
    pdf = Pdf(data)
    fonts = pdf.fonts()
    assert {font["base"].split("+")[1] for font in fonts.values()} == {"NotoSansJP", "NotoSansJPBold"}
    seen = set()
    for font_name, _x, _y, cids in pdf.runs(pdf.pages[0]):
        font = fonts[font_name]
        order = font["ttf"].getGlyphOrder()
        glyf = font["ttf"]["glyf"]
        for cid in cids:
            char = font["to_unicode"][cid]
            seen.add(char)
            if char.isspace():
                continue
            glyph = glyf[order[font["cid_to_gid"][cid]]]
            assert font["cid_to_gid"][cid] != 0, f"{char} drawn as .notdef"
            assert glyph.numberOfContours > 0, f"{char} has an empty glyph"
    assert set("髙﨑様〒～（）") <= seen


def test_postal_code_boxes_sit_where_japan_post_puts_them():
    lefts = postal_box_positions()
    assert lefts[0] == pytest.approx(44.3)
    assert lefts[-1] + 5.7 == pytest.approx(100 - 8.0)
    gaps = [round(b - a - 5.7, 2) for a, b in zip(lefts, lefts[1:], strict=False)]
    assert gaps == [1.3, 1.3, 1.9, 1.1, 1.1, 1.1]


def test_postcard_draws_seven_red_boxes_with_the_digits_inside():
    _, data = render_postcards([piece(postal_code="２３１－０００１")])
    pdf = Pdf(data)
    page = pdf.pages[0]
    content = pdf.content(page)
    red = content.index(b"0 1 1 0 K")  # 金赤: magenta + yellow, no cyan or black
    boxes = [box for box in pdf.rects(page, b"S") if abs(box[3] - 8.5) < 0.05 or abs(box[3] - 8.3) < 0.05]
    assert len(boxes) == 7
    assert content.index(b"re S", red) < content.index(b"BT", red)
    for (left, top, width, height), expected in zip(boxes, postal_box_positions(), strict=True):
        line = width - 5.7
        assert left + line / 2 == pytest.approx(expected, abs=0.02)  # inner edge
        assert top + line / 2 == pytest.approx(12.0, abs=0.02)
        assert height - line == pytest.approx(8.0, abs=0.02)
    assert [box[2] - 5.7 for box in boxes] == pytest.approx([0.5] * 3 + [0.3] * 4, abs=0.02)
    fonts = pdf.fonts()
    digits = [(x / MM, fonts[f]["to_unicode"][cids[0]]) for f, x, y, cids in pdf.runs(page)
              if len(cids) == 1 and 419.53 - y < 21 * MM]
    assert "".join(d for _x, d in digits) == "2310001"
    for (x, _digit), left in zip(digits, postal_box_positions(), strict=True):
        assert left < x < left + 5.7


def test_postcard_with_a_short_postal_code_leaves_the_boxes_empty():
    _, data = render_postcards([piece(postal_code="23100")])
    pdf = Pdf(data)
    assert not any(len(text) == 1 and text.isdigit() for text in pdf.text(pdf.pages[0]))


def _drawn_qr(pdf: Pdf, page: bytes, url: str, side: float) -> list[list[int]]:
    squares = [r for r in pdf.rects(page, b"f") if abs(r[2] - side) < 0.02 and abs(r[3] - side) < 0.02]
    assert len(squares) == 1
    left, top, _w, _h = squares[0]
    modules = segno.make_qr(url, error="m").symbol_size(border=0)[0]
    unit = side / (modules + 8)
    matrix = [[0] * modules for _ in range(modules)]
    for x, y, w, h in pdf.rects(page, b"f"):
        if abs(h - unit - 0.01) < 0.01 and left < x < left + side and top < y < top + side:
            row, column = round((y - top) / unit) - 4, round((x - left) / unit) - 4
            for offset in range(round(w / unit)):
                matrix[row][column + offset] = 1
    return matrix


def test_postcard_qr_code_is_the_code_of_the_pieces_own_url():
    _, data = render_postcards([piece(1), piece(2)])
    pdf = Pdf(data)
    for page, n in zip(pdf.pages, (1, 2), strict=True):
        url = f"{QR_URL}{n}"
        expected = [list(row) for row in segno.make_qr(url, error="m").matrix]
        assert _drawn_qr(pdf, page, url, 25.0) == expected


def test_long_body_is_wrapped_without_a_line_starting_with_punctuation():
    body = ("いつも港町ストアをご利用いただき、ありがとうございます。「冬のご愛顧感謝祭」期間中、このはがきを"
            "店頭でご提示いただくと、お会計から10％割引いたします。")
    _, data = render_postcards([piece(body=body)])
    pdf = Pdf(data)
    lines = [line for line in pdf.text(pdf.pages[0]) if line and line[0] in "いう「こ店か"]
    assert len(lines) >= 3
    assert breaks_are_valid(lines)


def test_progress_is_reported_in_steps_and_at_the_end(monkeypatch):
    monkeypatch.setattr(printing, "PROGRESS_EVERY", 2)
    seen = []
    pages, _ = render_postcards((piece(n) for n in range(5)), progress=seen.append)
    assert pages == 5
    assert seen == [2, 4, 5]


def test_more_pieces_than_a_file_holds_are_refused_and_split_into_files(monkeypatch):
    monkeypatch.setattr(printing, "MAX_POSTCARDS_PER_FILE", 2)
    with pytest.raises(ValueError, match="postcards_pdf_files"):
        render_postcards([piece(n) for n in range(3)])
    files: dict[int, bytes] = {}

    class Keep(io.BytesIO):
        def __init__(self, number: int):
            super().__init__()
            self.number = number

        def close(self):
            files.setdefault(self.number, self.getvalue())

    seen = []
    counts = postcards_pdf_files(pieces=(piece(n) for n in range(5)), theme=theme(), sender_name=SENDER,
                                 sender_address=SENDER_ADDRESS, open_file=Keep, progress=seen.append)
    assert counts == [2, 2, 1]
    assert [len(Pdf(files[n]).pages) for n in (1, 2, 3)] == [2, 2, 1]
    assert seen[-1] == 5


def test_postage_mark_is_printed_where_the_stamp_goes():
    _, data = render_postcards([piece()], postage_mark="料金別納郵便")
    pdf = Pdf(data)
    assert "料金別納" in pdf.text(pdf.pages[0])
    _, without = render_postcards([piece()])
    assert "料金別納" not in Pdf(without).text(Pdf(without).pages[0])


def _stored_logo() -> str:
    image = Image.new("RGBA", (200, 80), (200, 40, 40, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return default_storage.url(default_storage.save("brandkit/logos/full.png", ContentFile(buffer.getvalue())))


def test_brand_logo_from_storage_is_placed_and_a_missing_one_is_left_out():
    _, data = render_postcards([piece(), piece(1)], theme=theme(logo_png_url=_stored_logo()))
    assert data.count(b"/Subtype /Image") == 1  # one image object, used on both pages
    assert b"/I1 Do" in Pdf(data).content(Pdf(data).pages[1]) or b" Do" in Pdf(data).content(Pdf(data).pages[1])
    _, data = render_postcards([piece()], theme=theme(logo_png_url="/media/brandkit/logos/gone.png"))
    assert b"/Subtype /Image" not in data


def test_postcard_panel_uses_the_brand_primary_colour():
    _, data = render_postcards([piece()], theme=theme(colours={"primary": "#336699", "accent": "#CC3300"}))
    content = Pdf(data).content(Pdf(data).pages[0])
    assert b"0.2 0.4 0.6 rg" in content
    assert b"0.8 0.2 0 rg" in content


# --- POP ------------------------------------------------------------------------------------------


def render_pop(**kwargs) -> Pdf:
    values = {"headline": "冬のご愛顧感謝祭 全品10％OFF",
              "body": "このPOPのQRコードを読み取るか、レジでコードをお伝えください。",
              "price_text": "税込 1,980円", "valid_text": "有効期限：2026年12月31日（木）まで",
              "code": "CK7QH3XA", "qr_url": "https://shop.example.jp/r/ad3k7qxp"}
    values.update(kwargs)
    out = io.BytesIO()
    pop_pdf(piece=PopPiece(**values), theme=theme(colours={"primary": "#336699", "accent": "#CC3300"}), out=out)
    return Pdf(out.getvalue())


def test_pop_is_one_a4_page_with_headline_price_validity_code_and_legal_footer():
    pdf = render_pop()
    assert len(pdf.pages) == 1
    assert pdf.media_box() == [0, 0, 595.28, 841.89]
    text = "".join(pdf.text(pdf.pages[0]))
    for expected in ("冬のご愛顧感謝祭", "全品10％OFF", "税込 1,980円", "有効期限：2026年12月31日（木）まで",
                     "CK7QH3XA", "shop.example.jp/r/ad3k7qxp", "株式会社港町商店 〒231-0001"):
        assert expected in text


def test_pop_price_is_set_larger_than_anything_else():
    pdf = render_pop()
    fonts = pdf.fonts()
    sizes = {"".join(fonts[f]["to_unicode"][c] for c in cids): size
             for f, _x, _y, cids, size in pdf.runs(pdf.pages[0], sizes=True)}
    assert sizes["税込 1,980円"] == max(sizes.values()) >= 60
    assert b"0.8 0.2 0 rg" in pdf.content(pdf.pages[0])  # the accent colour


def test_pop_qr_code_is_the_code_of_its_url():
    pdf = render_pop()
    url = "https://shop.example.jp/r/ad3k7qxp"
    assert _drawn_qr(pdf, pdf.pages[0], url, 46.0) == [list(row) for row in segno.make_qr(url, error="m").matrix]


# --- 禁則 line breaking -----------------------------------------------------------------------------


def by_count(text: str) -> float:
    return float(len(text))


def test_full_stop_hangs_at_the_end_of_the_line_instead_of_starting_the_next():
    assert wrap_japanese("あいうえお。かきくけこ", measure=by_count, width=5) == ["あいうえお。", "かきくけこ"]


def test_closing_bracket_takes_the_previous_character_down_with_it():
    assert wrap_japanese("あいうえお」かき", measure=by_count, width=5) == ["あいうえ", "お」かき"]


def test_small_kana_and_long_vowel_mark_never_start_a_line():
    assert wrap_japanese("あいうえっとか", measure=by_count, width=4) == ["あいう", "えっとか"]
    assert wrap_japanese("あいうセール", measure=by_count, width=4) == ["あいう", "セール"]


def test_opening_bracket_never_ends_a_line():
    assert wrap_japanese("あいう「えお」", measure=by_count, width=4) == ["あいう", "「えお」"]


def test_full_stop_before_a_closing_bracket_is_not_hung_alone():
    lines = wrap_japanese("あいうえお。」かき", measure=by_count, width=5)
    assert lines == ["あいうえ", "お。」かき"]
    assert breaks_are_valid(lines)


def test_latin_words_and_urls_are_not_split_unless_longer_than_a_line():
    assert wrap_japanese("お得な SALE 開催", measure=by_count, width=6) == ["お得な", "SALE 開", "催"]
    assert wrap_japanese("https://example.jp/abc", measure=by_count, width=10) == ["https://ex", "ample.jp/a", "bc"]


def test_line_breaks_are_kept_and_max_lines_ends_with_an_ellipsis():
    assert wrap_japanese("あい\nうえ", measure=by_count, width=5) == ["あい", "うえ"]
    assert wrap_japanese("あいうえおかきくけこさしすせそ", measure=by_count, width=5, max_lines=2) == [
        "あいうえお", "かきくけ…"]


# --- social ---------------------------------------------------------------------------------------


def test_social_card_is_a_1200_by_630_png_that_draws_its_headline():
    kwargs = {"subline": "12月31日まで", "theme": theme(), "url": "https://shop.example.jp/r/ad3k7qxp"}
    png = social.social_card_png(headline="冬のご愛顧感謝祭、髙島屋店でも", **kwargs)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    other = Image.open(io.BytesIO(social.social_card_png(headline="春の新作フェア", **kwargs)))
    assert image.convert("RGB").tobytes() != other.convert("RGB").tobytes()


def test_social_card_font_draws_japanese_rather_than_notdef_boxes():
    face = ImageFont.truetype(str(printing.print_font_path(700)), 48)

    def drawn(ch: str) -> bytes:
        image = Image.new("L", (64, 64))
        ImageDraw.Draw(image).text((4, 0), ch, font=face, fill=255)
        return image.tobytes()

    notdef = drawn("\ue000")  # a private-use code point: the font's .notdef box
    assert any(notdef)
    for ch in "冬のご愛顧感謝祭髙〒￥":
        assert drawn(ch) != notdef, ch


def test_post_weight_counts_urls_as_23_and_cjk_as_2():
    assert social.post_weight("abc") == 3
    assert social.post_weight("あいう") == 6
    assert social.post_weight("見て https://shop.example.jp/r/" + "x" * 80) == 4 + 1 + 23


def test_post_draft_joins_text_url_and_hashtags():
    draft = social.social_post_draft(text="冬のご愛顧感謝祭、はじまります。", url="https://shop.example.jp/r/ad3k7qxp",
                                     hashtags=["港町ストア", "#セール", "港町ストア"])
    assert draft == "冬のご愛顧感謝祭、はじまります。\n\nhttps://shop.example.jp/r/ad3k7qxp\n#港町ストア #セール"


def test_too_long_post_drops_hashtags_then_shortens_the_text_but_keeps_the_url():
    url = "https://shop.example.jp/r/ad3k7qxp"
    text = "冬のご愛顧感謝祭" * 20  # 160 characters, weight 320
    draft = social.social_post_draft(text=text, url=url, hashtags=["港町ストア"])
    assert social.post_weight(draft) <= 280
    assert "#港町ストア" not in draft
    assert draft.endswith(url)
    assert "…\n\n" in draft
    assert social.post_weight(draft) >= 278  # shortened no more than needed


def test_pop_headline_breaks_at_the_copywriters_space_when_it_fits():
    pdf = render_pop(headline="冬のご愛顧感謝祭 全品10％OFF")
    assert pdf.text(pdf.pages[0])[1:3] == ["冬のご愛顧感謝祭", "全品10％OFF"]


def test_message_side_follows_each_address_side_with_headline_body_code_and_footer():
    pages, data = render_postcards([piece(1), piece(2)], message_side=True)
    pdf = Pdf(data)
    assert pages == 4 == len(pdf.pages)
    address, message = pdf.pages[2], pdf.pages[3]
    def postal_boxes(page):
        return [box for box in pdf.rects(page, b"S") if abs(box[3] - 8.5) < 0.05 or abs(box[3] - 8.3) < 0.05]

    assert len(postal_boxes(address)) == 7
    assert postal_boxes(message) == []  # the picture side has no postal-code boxes
    text = "".join(pdf.text(message))
    for expected in ("冬のご愛顧感謝祭", "10％割引いたします（～12月31日）。", "CK7QH3X2", "株式会社港町商店 〒231-0001"):
        assert expected in text
