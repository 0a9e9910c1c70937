"""What customers type in the cart and at checkout. Business rules stay in
orders.services.order_place; these forms only check shape and map service errors back."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel.japan import (
    Prefecture,
    normalize_postal_code,
    validate_phone,
    validate_postal_code,
)

from .models import FulfillmentMethod
from .services import MAX_LINE_QUANTITY

QUANTITY_ERRORS = {
    "min_value": _("Quantity must be at least 1."),
    "max_value": _("At most %(limit_value)s per item."),
    "invalid": _("Enter a whole number."),
    "required": _("Enter a quantity."),
}


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1, error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty-input"}), **kwargs,
    )


class AddToCartForm(forms.Form):
    sku = forms.ChoiceField(label=_("Size"), widget=forms.RadioSelect,
                            error_messages={"invalid_choice": _("This item is no longer available."),
                                            "required": _("Choose a size.")})
    quantity = quantity_field()

    def __init__(self, *args, product=None, variants=None, **kwargs):
        super().__init__(*args, **kwargs)
        variants = list(variants if variants is not None else (product.variants.all() if product else []))
        self.fields["sku"].choices = [(v.sku, v.label or v.sku) for v in variants]


class CartLineForm(forms.Form):
    sku = forms.CharField(max_length=60)
    quantity = quantity_field()

    def __init__(self, *args, cart_skus=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cart_skus = set(cart_skus)

    def clean_sku(self):
        sku = self.cleaned_data["sku"]
        if sku not in self.cart_skus:
            raise forms.ValidationError(_("This item is not in your cart."))
        return sku


class CheckoutForm(forms.Form):
    method = forms.ChoiceField(label=_("How would you like to receive your order?"), widget=forms.RadioSelect,
                               choices=[(FulfillmentMethod.PICKUP.value, _("Pick up at a store (free)")),
                                        (FulfillmentMethod.SHIP.value, _("Home delivery"))],
                               initial=FulfillmentMethod.PICKUP.value)
    location = forms.CharField(label=_("Pickup store"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args, pickup_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pickup_options = list(pickup_options)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == FulfillmentMethod.PICKUP and not cleaned.get("location"):
            self.add_error("location", _("Choose the store to pick up at."))
        return cleaned


class AddressForm(forms.Form):
    """A Japanese delivery address, validated with kernel.japan."""

    name = forms.CharField(label=_("Recipient name"), max_length=120,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    postal_code = forms.CharField(label=_("Postal code"), max_length=10,
                                  help_text=_("7 digits, for example 150-0041"),
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric",
                                                                "placeholder": "123-4567", "class": "input-short"}))
    prefecture = forms.ChoiceField(label=_("Prefecture"),
                                   choices=[("", _("Choose…"))] + list(Prefecture.choices),
                                   widget=forms.Select(attrs={"autocomplete": "address-level1"}))
    city = forms.CharField(label=_("City, ward, town"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    line1 = forms.CharField(label=_("Street address"), max_length=100,
                            widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    line2 = forms.CharField(label=_("Building, room (optional)"), max_length=100, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    phone = forms.CharField(label=_("Phone"), max_length=20,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"]
        validate_postal_code(value)
        return normalize_postal_code(value)

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        validate_phone(value)
        return value

    def as_address(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in
                ("name", "postal_code", "prefecture", "city", "line1", "line2", "phone")}


class TenderForm(forms.Form):
    """The till's tender step, shared by the till and the pickup desk's hand-over: any mix of
    cash (what the customer handed over), card and QR / contactless (taken on the store's own
    terminal, recorded by slip number) and a gift voucher (by its number). Split tender is
    filling several. ``tenders()`` gives them to ``orders.payments.payment_take``."""

    cash = forms.IntegerField(label=_("Cash received"), min_value=0, required=False,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-tender": "cash"}))
    card = forms.IntegerField(label=_("Card"), min_value=0, required=False,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-tender": "card"}))
    card_slip = forms.CharField(label=_("Card slip no."), max_length=60, required=False)
    qr = forms.IntegerField(label=pgettext_lazy("tender", "QR / contactless"), min_value=0, required=False,
                            widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-tender": "qr"}))
    qr_slip = forms.CharField(label=_("QR slip no."), max_length=60, required=False)
    voucher = forms.IntegerField(label=_("Gift voucher"), min_value=0, required=False,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-tender": "voucher"}))
    voucher_number = forms.CharField(label=_("Voucher no."), max_length=60, required=False)

    # (amount field, reference field, tender kind)
    PARTS = (("cash", "", "cash"), ("card", "card_slip", "card"), ("qr", "qr_slip", "qr"),
             ("voucher", "voucher_number", "gift_voucher"))

    def tenders(self) -> list:
        from .payments import TenderIn

        found = []
        for amount_field, reference_field, kind in self.PARTS:
            amount = self.cleaned_data.get(amount_field) or 0
            if amount > 0:
                reference = self.cleaned_data.get(reference_field, "") if reference_field else ""
                found.append(TenderIn(kind=kind, amount=amount, reference=reference or ""))
        return found

    def add_service_errors(self, errors: dict) -> None:
        """Show ``payment_take``'s errors (``tenders``, ``tenders.<i>.<field>``) on the form."""
        tenders = self.tenders()
        by_kind = {"cash": "cash", "card": "card", "qr": "qr", "gift_voucher": "voucher"}
        refs = {"card": "card_slip", "qr": "qr_slip", "gift_voucher": "voucher_number"}
        for key, messages in errors.items():
            parts = key.split(".")
            field = None
            if len(parts) == 3 and parts[0] == "tenders" and parts[1].isdigit() and int(parts[1]) < len(tenders):
                kind = tenders[int(parts[1])].kind
                field = refs.get(kind) if parts[2] == "reference" else by_kind.get(kind)
            for message in messages:
                self.add_error(field, message)
