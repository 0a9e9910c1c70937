"""What staff type to set up, open and close a register. The rules (one open session, the
count's total, over/short) live in orders.registers; these forms check shape and take the
service's errors back onto their fields."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .registers import DENOMINATIONS, MAX_CASH, MAX_NOTE_LENGTH, MAX_PIECES

YEN_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "class": "yen-input"}


def denomination_field(value: int) -> str:
    return f"d{value}"


class ServiceErrorsMixin:
    def add_service_errors(self, errors: dict[str, list[str]], *, field_of=None) -> None:
        """Put an InvalidOrder's messages on the matching fields (else on the form)."""
        for key, messages in errors.items():
            name = field_of(key) if field_of else key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class RegisterCreateForm(ServiceErrorsMixin, forms.Form):
    location = forms.ModelChoiceField(label=_("Store"), queryset=None, empty_label=None)
    code = forms.CharField(label=pgettext_lazy("register", "Code"), max_length=20, help_text=_("Short, unique in the store: 1, 2, A…"))
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("As staff call it: レジ1, Counter by the door…"))

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class RegisterOpenForm(ServiceErrorsMixin, forms.Form):
    opening_float = forms.IntegerField(
        label=_("Opening float (¥)"), min_value=0, max_value=MAX_CASH, initial=30000,
        help_text=_("The change fund put in the drawer before the first sale."),
        widget=forms.NumberInput(attrs=YEN_ATTRS))


class RegisterCloseForm(ServiceErrorsMixin, forms.Form):
    """One field per note and coin (pieces counted), and a note."""

    note = forms.CharField(label=_("Note"), max_length=MAX_NOTE_LENGTH, required=False,
                           help_text=_("Explain a difference, if any."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for value in DENOMINATIONS:
            fields[denomination_field(value)] = forms.IntegerField(
                label=f"¥{value:,}", min_value=0, max_value=MAX_PIECES, required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                "class": "count-input", "data-denomination": value,
                                                "placeholder": "0"}))
        fields["note"] = self.fields.pop("note")
        self.fields.update(fields)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and all(cleaned.get(denomination_field(value)) is None for value in DENOMINATIONS):
            # an empty form sent by mistake must not close the register with the whole drawer short
            raise forms.ValidationError(_("Count the drawer: enter the pieces of each note and coin (0 where "
                                          "there are none)."))
        return cleaned

    def denominations(self):
        return [(value, self[denomination_field(value)]) for value in DENOMINATIONS]

    def cash_count(self) -> dict[int, int]:
        return {value: self.cleaned_data.get(denomination_field(value)) or 0 for value in DENOMINATIONS}

    def add_service_errors(self, errors, *, field_of=None):
        def name(key: str) -> str:
            if key.startswith("cash_count."):
                return denomination_field(key.split(".", 1)[1])
            return key

        super().add_service_errors(errors, field_of=name)
