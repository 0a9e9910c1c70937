"""Validation of what staff type into the console's catalogue and stock pages."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.models import Location

from .models import StockPolicy, TaxClass, Variant
from .validators import normalize_barcode, validate_ean13


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Product name"), max_length=200)
    code = forms.SlugField(label=_("Product code"), max_length=60,
                           help_text=_("Letters, digits and hyphens; used in the product's web address."))
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    tax_class = forms.ChoiceField(label=_("Tax class"), choices=TaxClass.choices, initial=TaxClass.STANDARD)
    is_active = forms.BooleanField(label=_("Published on the storefront"), required=False, initial=True)
    photo = forms.FileField(label=_("Photo"), required=False,
                            help_text=_("JPEG, PNG or WebP, up to 10 MB. Renditions are made automatically."),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))


class VariantForm(forms.Form):
    size = forms.CharField(label=_("Size"), max_length=30, required=False)
    color = forms.CharField(label=_("Colour"), max_length=30, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=60)
    barcode = forms.CharField(label=_("JAN/EAN-13"), max_length=20,
                              widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    price = forms.IntegerField(label=_("Price (tax incl.)"), min_value=0,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}))

    def clean_barcode(self) -> str:
        code = normalize_barcode(self.cleaned_data["barcode"])
        validate_ean13(code)
        return code


class BaseVariantFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]
        if not filled:
            raise forms.ValidationError(_("A product needs at least one variant."))


VariantFormSet = forms.formset_factory(VariantForm, formset=BaseVariantFormSet, extra=3, max_num=30,
                                       validate_max=True)


class StockReceiveForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), empty_label=None)
    code = forms.CharField(label=_("SKU or barcode"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    reference = forms.CharField(label=_("Reference (PO number)"), max_length=100, required=False)

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations if locations is not None else Location.objects.none()

    def clean_code(self) -> Variant:
        raw = self.cleaned_data["code"].strip()
        barcode = normalize_barcode(raw)
        variant = Variant.objects.select_related("product").filter(Q(sku__iexact=raw) | Q(barcode=barcode)).first()
        if variant is None:
            raise forms.ValidationError(_("No variant has the SKU or barcode “%(code)s”."), params={"code": raw},
                                        code="unknown_variant")
        return variant


class ProductEditForm(forms.Form):
    """A product's details as staff change them (the code stays: it is in web addresses)."""

    name = forms.CharField(label=_("Product name"), max_length=200)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    tax_class = forms.ChoiceField(label=_("Tax class"), choices=TaxClass.choices)
    stock_policy = forms.ChoiceField(label=_("Stock policy"), choices=StockPolicy.choices)
    return_days = forms.IntegerField(label=_("Return window (days)"), required=False, min_value=0, max_value=365,
                                     help_text=_("Empty: the shop's default. 0: not returnable."),
                                     widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    is_active = forms.BooleanField(label=_("Published on the storefront"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("Checked against the brand kit's editorial rules as you type."))


class PhotoAddForm(forms.Form):
    photo = forms.FileField(label=_("Add a photo"),
                            help_text=_("JPEG, PNG or WebP, up to 10 MB. Renditions are made automatically."),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    alt = forms.CharField(label=_("Alternative text"), max_length=200, required=False,
                          help_text=_("What the photo shows, for screen readers. Defaults to the product name."))


def _variant_by_code(raw: str) -> Variant:
    raw = raw.strip()
    barcode = normalize_barcode(raw)
    variant = Variant.objects.select_related("product").filter(Q(sku__iexact=raw) | Q(barcode=barcode)).first()
    if variant is None:
        raise forms.ValidationError(_("No variant has the SKU or barcode “%(code)s”."), params={"code": raw},
                                    code="unknown_variant")
    return variant


class StockAdjustForm(forms.Form):
    """A correction of on-hand stock: damage, loss, a miscount, units found."""

    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none(), empty_label=None)
    code = forms.CharField(label=_("SKU or barcode"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    quantity = forms.IntegerField(label=_("Change in quantity"), min_value=-100_000, max_value=100_000,
                                  help_text=_("Negative takes units off (damaged, lost), positive adds units found."),
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    note = forms.CharField(label=_("Reason"), max_length=200,
                           help_text=_("Kept in the stock ledger, e.g. “damaged in transit”."))

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations if locations is not None else Location.objects.none()

    def clean_code(self) -> Variant:
        return _variant_by_code(self.cleaned_data["code"])

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("An adjustment must change the quantity."), code="zero")
        return quantity


class StockZonesForm(forms.Form):
    """Zones / bins in bulk: one line per item, a SKU or a scanned barcode then its zone / bin,
    separated by a comma, a tab or spaces (a CSV with a ``sku,zone`` header line works, so does
    a column pasted from a spreadsheet). ``rows`` are the lines as ``ZoneIn`` and ``line_numbers``
    the line each came from, for the service's row errors."""

    lines = forms.CharField(
        label=_("Items and their zones"), max_length=200_000,
        help_text=_("One line per item: SKU or barcode, then the zone / bin (for example “LS-S, A-03”). "
                    "A comma, a tab or a space separates them; an empty zone clears it."),
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false",
                                     "placeholder": "LS-S, A-03\n4901234567887\tB-12"}))

    HEADERS = {("sku", "zone"), ("code", "zone"), ("sku", "bin"), ("barcode", "zone")}

    def clean_lines(self) -> str:
        from .services import ZoneIn

        rows, numbers = [], []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            if "," in line or "\t" in line:
                code, _sep, zone = line.replace("\t", ",").partition(",")
            else:
                code, _sep, zone = line.partition(" ")
            code, zone = code.strip().strip('"'), zone.strip().strip('"')
            if not rows and (code.lower(), zone.lower()) in self.HEADERS:
                continue
            rows.append(ZoneIn(code=code, zone=zone))
            numbers.append(number)
        if not rows:
            raise forms.ValidationError(_("Give at least one line: a SKU or barcode and its zone."), code="empty")
        self.rows, self.line_numbers = rows, numbers
        return self.cleaned_data["lines"]
