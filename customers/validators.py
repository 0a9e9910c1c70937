"""Rules for what is typed about a customer, shared by the services, the forms and the API."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kernel.japan import hiragana_to_katakana, normalize_text

KATAKANA = re.compile(r"[\u30a0-\u30ffー・ ]+")


def normalize_furigana(value: str) -> str:
    """Furigana in full-width katakana: NFKC (half-width kana) and hiragana are converted, spaces
    dropped. Raise ValidationError for anything else."""
    value = hiragana_to_katakana(normalize_text(value).replace(" ", ""))
    if value and not KATAKANA.fullmatch(value):
        raise ValidationError(_("Enter the reading in katakana, for example ヤマダ."), code="katakana")
    return value


SIZES_MAX_KINDS = 20
SIZE_MAX_LENGTH = 20
INTERESTS_MAX = 30
INTEREST_MAX_LENGTH = 40


def normalize_sizes(value) -> dict[str, str]:
    """What a customer wears, by kind (``{"tops": "M", "shoes": "24.5"}``): keys and sizes NFKC,
    trimmed (full-width ``２４．５`` becomes ``24.5``), empty sizes dropped. Raise ValidationError
    for anything that is not such a mapping."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_('Give sizes by kind, for example {"tops": "M", "shoes": "24.5"}.'), code="sizes")
    sizes: dict[str, str] = {}
    for kind, size in value.items():
        if not isinstance(kind, str) or not isinstance(size, str | int | float) or isinstance(size, bool):
            raise ValidationError(_('Give sizes by kind, for example {"tops": "M", "shoes": "24.5"}.'),
                                  code="sizes")
        kind, size = normalize_text(kind).replace(" ", "_"), unicodedata.normalize("NFKC", str(size)).strip()
        if not kind or len(kind) > SIZE_MAX_LENGTH or len(size) > SIZE_MAX_LENGTH:
            raise ValidationError(_("A kind and a size have at most %(n)d characters each.") % {"n": SIZE_MAX_LENGTH},
                                  code="sizes")
        if size:
            sizes[kind] = size
    if len(sizes) > SIZES_MAX_KINDS:
        raise ValidationError(_("At most %(n)d kinds of size.") % {"n": SIZES_MAX_KINDS}, code="sizes")
    return sizes


def normalize_interests(value) -> list[str]:
    """Interest tags: a list (or a comma-separated string, as typed in a form; 、 and ， count as
    commas), each NFKC and trimmed, duplicates and empties dropped, in the order given."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[,、，\n]", value)
    if not isinstance(value, list | tuple) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError(_("Give interests as a list of words."), code="interests")
    tags: list[str] = []
    for tag in value:
        tag = " ".join(unicodedata.normalize("NFKC", tag).split())
        if len(tag) > INTEREST_MAX_LENGTH:
            raise ValidationError(_("An interest has at most %(n)d characters.") % {"n": INTEREST_MAX_LENGTH},
                                  code="interests")
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    if len(tags) > INTERESTS_MAX:
        raise ValidationError(_("At most %(n)d interests.") % {"n": INTERESTS_MAX}, code="interests")
    return tags
