"""Rules of the Japanese market shared by every domain: prefectures, text normalisation
(NFKC: full-width digits and letters, half-width katakana), phone numbers, postal codes and
the consumption tax rates."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Consumption tax (消費税), in percent. Prices are shown tax-inclusive (総額表示); the reduced
# rate (軽減税率) applies to food and drink (not alcohol, not eating in) and newspapers. The law
# sets them for the market: the catalogue's tax classes (inventory.TaxClass) map onto them and
# an order line keeps the rate it was sold at (orders.OrderLine.tax_rate).
STANDARD_TAX_RATE = 10
REDUCED_TAX_RATE = 8
TAX_RATES = (REDUCED_TAX_RATE, STANDARD_TAX_RATE)


class Prefecture(models.TextChoices):
    HOKKAIDO = "01", "北海道"
    AOMORI = "02", "青森県"
    IWATE = "03", "岩手県"
    MIYAGI = "04", "宮城県"
    AKITA = "05", "秋田県"
    YAMAGATA = "06", "山形県"
    FUKUSHIMA = "07", "福島県"
    IBARAKI = "08", "茨城県"
    TOCHIGI = "09", "栃木県"
    GUNMA = "10", "群馬県"
    SAITAMA = "11", "埼玉県"
    CHIBA = "12", "千葉県"
    TOKYO = "13", "東京都"
    KANAGAWA = "14", "神奈川県"
    NIIGATA = "15", "新潟県"
    TOYAMA = "16", "富山県"
    ISHIKAWA = "17", "石川県"
    FUKUI = "18", "福井県"
    YAMANASHI = "19", "山梨県"
    NAGANO = "20", "長野県"
    GIFU = "21", "岐阜県"
    SHIZUOKA = "22", "静岡県"
    AICHI = "23", "愛知県"
    MIE = "24", "三重県"
    SHIGA = "25", "滋賀県"
    KYOTO = "26", "京都府"
    OSAKA = "27", "大阪府"
    HYOGO = "28", "兵庫県"
    NARA = "29", "奈良県"
    WAKAYAMA = "30", "和歌山県"
    TOTTORI = "31", "鳥取県"
    SHIMANE = "32", "島根県"
    OKAYAMA = "33", "岡山県"
    HIROSHIMA = "34", "広島県"
    YAMAGUCHI = "35", "山口県"
    TOKUSHIMA = "36", "徳島県"
    KAGAWA = "37", "香川県"
    EHIME = "38", "愛媛県"
    KOCHI = "39", "高知県"
    FUKUOKA = "40", "福岡県"
    SAGA = "41", "佐賀県"
    NAGASAKI = "42", "長崎県"
    KUMAMOTO = "43", "熊本県"
    OITA = "44", "大分県"
    MIYAZAKI = "45", "宮崎県"
    KAGOSHIMA = "46", "鹿児島県"
    OKINAWA = "47", "沖縄県"


def normalize_text(value: str) -> str:
    """NFKC-normalise, collapse white space and case-fold, for search keys and codes."""
    value = unicodedata.normalize("NFKC", value or "")
    return " ".join(value.split()).casefold()


_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]+")


def fullwidth_kana(value: str) -> str:
    """Half-width katakana (old tills and card systems: ｺｳｼﾞ) as full-width (コウジ), the voiced
    marks joined to their letter; everything else as written. A name keeps its own spelling,
    but half-width kana are a system's limit, not the customer's, and a voiced mark on its own
    is a separate character that fonts cannot draw with its letter."""
    return _HALFWIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), value or "")


def hiragana_to_katakana(value: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in value)


def search_key(value: str) -> str:
    """The form a name or query is stored and searched in: NFKC, katakana, no spaces."""
    return hiragana_to_katakana(normalize_text(value)).replace(" ", "")


_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(value: str) -> str:
    """Digits only, from any width: '０９０-１２３４-５６７８' -> '09012345678'. +81 becomes 0."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("81") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


# What a phone number may be written with once NFKC has folded full-width characters: ASCII
# digits, an optional leading +, spaces, brackets, dots and the dashes people type in Japanese
# (hyphen, minus sign, dashes, the katakana prolonged sound mark). Letters, extensions and other
# symbols are refused rather than silently dropped.
_PHONE_CHARACTERS = re.compile(r"\+?[0-9\s().\-\u2010-\u2015\u2212\u30fc]+")


def validate_phone(value: str) -> None:
    digits = normalize_phone(value)
    written = unicodedata.normalize("NFKC", value or "").strip()
    if not (10 <= len(digits) <= 11 and digits.startswith("0") and _PHONE_CHARACTERS.fullmatch(written)):
        raise ValidationError(_("Enter a Japanese phone number, for example 03-1234-5678."), code="phone")


def normalize_postal_code(value: str) -> str:
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value or ""))
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else (value or "").strip()


def validate_postal_code(value: str) -> None:
    if not re.fullmatch(r"\d{3}-\d{4}", normalize_postal_code(value)):
        raise ValidationError(_("Enter a postal code as 123-4567."), code="postal_code")


_PREFECTURE_CODES_BY_NAME = {label: code for code, label in Prefecture.choices}


def normalize_prefecture(value: str) -> str:
    """The prefecture code (JIS X 0401) of what people send: '13', '１３' or '東京都' -> '13'.
    Anything else comes back stripped, for validate_prefecture to refuse."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return _PREFECTURE_CODES_BY_NAME.get(text, text)


def validate_prefecture(value: str) -> None:
    if value not in Prefecture.values:
        raise ValidationError(_("Enter a prefecture: its code from 01 (Hokkaido) to 47 (Okinawa), or its name."),
                              code="prefecture")
