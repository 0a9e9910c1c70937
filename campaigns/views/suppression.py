"""The suppression list in the console (HQ marketers): search it, add an address by hand,
take one off. The writes are ``campaigns.suppression``'s services, audited there."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kernel.console import console_view, htmx_template, paginate

from .. import suppression as service
from ..models import SENT_CHANNELS, MessageChannel, Suppression, SuppressionReason

CHANNEL_CHOICES = [(channel.value, channel.label) for channel in SENT_CHANNELS]
# What staff may give as the reason; bounces come from the providers' receipts.
STAFF_REASONS = (SuppressionReason.MANUAL, SuppressionReason.COMPLAINT, SuppressionReason.INVALID)


class SuppressionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search addresses"), required=False, max_length=254)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *CHANNEL_CHOICES])
    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", _("All reasons")), *SuppressionReason.choices])


class SuppressionAddForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNEL_CHOICES, initial=MessageChannel.EMAIL)
    address = forms.CharField(label=pgettext_lazy("suppression", "Address"), max_length=254,
                              help_text=_("An email address, a mobile number (090-1234-5678) or a LINE user id."))
    reason = forms.ChoiceField(label=_("Reason"), initial=SuppressionReason.MANUAL,
                               choices=[(reason.value, reason.label) for reason in STAFF_REASONS])
    detail = forms.CharField(label=_("Note"), max_length=300, required=False,
                             help_text=_("Why, for whoever reads the list later (e.g. asked by phone)."))


def _page(request, *, add_form=None, status: int = 200):
    source = request.GET if request.method == "GET" else {}
    filters = SuppressionFilterForm(source)
    data = filters.cleaned_data if filters.is_valid() else {}
    rows = service.suppressions_search(query=data.get("q", ""), channel=data.get("channel", ""),
                                       reason=data.get("reason", ""))
    can_add = request.user.has_perm("campaigns.add_suppression")
    context = {
        "filters": filters, "page": paginate(request, rows), "filtered": any(data.values()),
        "can_add": can_add, "can_remove": request.user.has_perm("campaigns.delete_suppression"),
        "add_form": add_form if add_form is not None else (SuppressionAddForm() if can_add else None),
    }
    template = htmx_template(request, "campaigns/console/suppressions.html", "results")
    return render(request, template, context, status=status)


@console_view("campaigns.view_suppression")
def suppression_list(request):
    return _page(request)


@require_POST
@console_view("campaigns.add_suppression")
def suppression_add(request):
    form = SuppressionAddForm(request.POST)
    if form.is_valid():
        try:
            row, created = service.suppression_add(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if created:
                messages.success(request, gettext("%(address)s will receive no marketing messages.")
                                 % {"address": row.address})
            else:
                messages.info(request, gettext("%(address)s was already suppressed (%(reason)s).")
                              % {"address": row.address, "reason": row.get_reason_display()})
            return redirect("console:suppressions")
    return _page(request, add_form=form, status=400)


@require_POST
@console_view("campaigns.delete_suppression")
def suppression_remove(request, pk: int):
    row = get_object_or_404(Suppression, pk=pk)
    service.suppression_remove(suppression=row, acting_user=request.user)
    messages.success(request, gettext("%(address)s may receive marketing messages again (if they opted in).")
                     % {"address": row.address})
    if request.htmx:
        return HttpResponseClientRedirect(reverse("console:suppressions"))
    return redirect("console:suppressions")
