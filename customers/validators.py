"""Rules for what is typed about a customer, shared by the services, the forms and the API."""

import re

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
