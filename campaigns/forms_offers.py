"""What marketers type on the offer pages: the offer, a shared code, a batch of single-use codes.
The rules themselves are in ``campaigns.offers``; these forms only read the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Segment
from kernel.models import ChannelKind

from .models import Campaign
from .models_offers import OfferKind
from .offers import BATCH_MAX, CODE_PREFIX_MAX

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def category_choices() -> list[tuple[str, str]]:
    from inventory.models import Product

    names = Product.objects.exclude(category="").values_list("category", flat=True).distinct().order_by("category")
    return [(name, name) for name in names]


class OfferForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120,
                           help_text=_("Shown on the order line and the receipt."))
    kind = forms.ChoiceField(label=_("Kind"), choices=OfferKind.choices)
    value = forms.IntegerField(label=pgettext_lazy("offer", "Value"), min_value=0, required=False,
                               help_text=_("Percent (1–100) or yen off, by kind."))
    buy_quantity = forms.IntegerField(label=_("Buy"), min_value=0, initial=2, required=False)
    get_quantity = forms.IntegerField(label=_("Get free"), min_value=0, initial=1, required=False)
    min_spend = forms.IntegerField(label=_("Minimum spend (yen)"), min_value=0, initial=0, required=False)
    categories = forms.MultipleChoiceField(label=_("Categories"), required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked: every product."))
    segment = forms.ModelChoiceField(label=_("Segment"), queryset=Segment.objects.order_by("name"), required=False,
                                     empty_label=_("Everyone"))
    channel_kinds = forms.MultipleChoiceField(label=pgettext_lazy("offer", "Channels"), choices=ChannelKind.choices,
                                              required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=_("None ticked: everywhere."))
    starts_at = forms.DateTimeField(label=_("Starts at"), required=False, widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False, widget=DATETIME)
    per_customer_limit = forms.IntegerField(label=_("Uses per customer"), min_value=0, required=False,
                                            help_text=_("Empty: no limit."))
    budget = forms.IntegerField(label=_("Budget (yen)"), min_value=0, required=False,
                                help_text=_("Discounts stop when this much has been given; empty: none."))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.order_by("-created_at"),
                                      required=False, empty_label=_("None"))
    automatic = forms.BooleanField(label=_("Applies without a code"), required=False,
                                   help_text=_("Applied to every order that meets the conditions; "
                                               "such an offer has no codes."))
    is_active = forms.BooleanField(label=pgettext_lazy("offer", "Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = category_choices()

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("value", "min_spend"):
            data[name] = data.get(name) or 0
        for name in ("buy_quantity", "get_quantity"):
            data[name] = data.get(name) if data.get(name) is not None else 1
        return data


class SharedCodeForm(forms.Form):
    code = forms.CharField(label=pgettext_lazy("offer code", "Code"), max_length=40,
                           help_text=_("4 to 32 letters and digits, e.g. SPRING10."))
    max_uses = forms.IntegerField(label=_("Uses at most"), min_value=1, required=False,
                                  help_text=_("Empty: no limit."))


class GenerateForm(forms.Form):
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=BATCH_MAX, initial=1000)
    prefix = forms.CharField(label=_("Prefix"), max_length=CODE_PREFIX_MAX, required=False,
                             help_text=_("Optional, e.g. DM for a postcard mailing."))
