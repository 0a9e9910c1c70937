"""Console pages of offers and codes (namespace "console"): the list with usage and budget, the
offer form, the offer's page with its shared codes and generated batches (progress polled by
htmx), and the CSV export of codes for print. Thin: the services are in ``campaigns.offers``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.console import console_view, paginate
from kernel.models import ChannelKind

from .. import offers
from ..forms_offers import GenerateForm, OfferForm, SharedCodeForm
from ..models_offers import CodeBatch, CodeKind, Offer

FORM_TEMPLATE = "campaigns/console/offer_form.html"
DETAIL_TEMPLATE = "campaigns/console/offer_detail.html"


@console_view("campaigns.view_offer")
def offer_list(request):
    page = paginate(request, Offer.objects.select_related("campaign", "segment").order_by("-created_at", "-id"),
                    per_page=50)
    return render(request, "campaigns/console/offers.html", {
        "page": page, "now": timezone.now(), "can_add": request.user.has_perm("campaigns.add_offer")})


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _form_page(request, *, offer: Offer | None):
    if request.method == "POST":
        form = OfferForm(request.POST)
        if form.is_valid():
            try:
                if offer is None:
                    data = form.service_fields()
                    offer = offers.offer_create(acting_user=request.user, **data)
                    messages.success(request, _("The offer is saved."))
                else:
                    offer = offers.offer_update(offer=offer, acting_user=request.user, **form.service_fields())
                    messages.success(request, _("The offer is updated."))
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("console:offer_detail", pk=offer.pk)
    elif offer is not None:
        initial = {name: getattr(offer, name) for name in offers.OFFER_FIELDS}
        for name in ("starts_at", "ends_at"):
            if initial[name]:
                initial[name] = timezone.localtime(initial[name])
        form = OfferForm(initial=initial)
    else:
        form = OfferForm()
    return render(request, FORM_TEMPLATE, {"form": form, "offer": offer})


@console_view("campaigns.add_offer")
def offer_create(request):
    return _form_page(request, offer=None)


@console_view("campaigns.change_offer")
def offer_edit(request, pk: int):
    return _form_page(request, offer=get_object_or_404(Offer, pk=pk))


def _detail_context(request, offer: Offer, **forms) -> dict:
    return {
        "offer": offer, "ends_at": offers.offer_ends_at(offer),
        "channel_labels": [str(dict(ChannelKind.choices).get(k, k)) for k in offer.channel_kinds],
        "shared_codes": list(offer.codes.filter(kind=CodeKind.SHARED).select_related("customer")
                             .order_by("code")),
        "batches": list(offer.batches.select_related("requested_by")[:20]),
        "redemptions": list(offer.redemptions.select_related("code", "channel")[:10]),
        "code_form": forms.get("code_form") or SharedCodeForm(),
        "generate_form": forms.get("generate_form") or GenerateForm(),
        "can_change": request.user.has_perm("campaigns.change_offer"),
        "can_export": request.user.has_perm("campaigns.export_codes"),
    }


@console_view("campaigns.view_offer")
def offer_detail(request, pk: int):
    offer = get_object_or_404(Offer.objects.select_related("campaign", "segment", "created_by"), pk=pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, offer))


@require_POST
@console_view("campaigns.change_offer")
def offer_code_create(request, pk: int):
    offer = get_object_or_404(Offer.objects.select_related("campaign", "segment"), pk=pk)
    form = SharedCodeForm(request.POST)
    if form.is_valid():
        try:
            code = offers.code_create_shared(offer=offer, code=form.cleaned_data["code"],
                                             max_uses=form.cleaned_data["max_uses"], acting_user=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The code %(code)s is ready.") % {"code": code.code})
            return redirect("console:offer_detail", pk=offer.pk)
    return render(request, DETAIL_TEMPLATE, _detail_context(request, offer, code_form=form), status=400)


@require_POST
@console_view("campaigns.change_offer")
def offer_codes_generate(request, pk: int):
    offer = get_object_or_404(Offer.objects.select_related("campaign", "segment"), pk=pk)
    form = GenerateForm(request.POST)
    if form.is_valid():
        try:
            offers.codes_generate(offer=offer, count=form.cleaned_data["count"],
                                  prefix=form.cleaned_data["prefix"], acting_user=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The codes are being generated; the progress shows below."))
            return redirect(f"{offer.get_absolute_url()}#batches")
    return render(request, DETAIL_TEMPLATE, _detail_context(request, offer, generate_form=form), status=400)


@console_view("campaigns.view_offer")
def code_batch_progress(request, pk: int, batch_id: int):
    """One batch's row (polled by htmx every second while it is generating)."""
    batch = get_object_or_404(CodeBatch.objects.select_related("requested_by", "offer"), pk=batch_id, offer_id=pk)
    return render(request, f"{DETAIL_TEMPLATE}#batch-row", {
        "batch": batch, "offer": batch.offer, "can_export": request.user.has_perm("campaigns.export_codes")})


@console_view("campaigns.export_codes")
def offer_codes_export(request, pk: int):
    """The codes as CSV (UTF-8 with BOM), streamed: one batch (``?batch=<id>``) or every code."""
    offer = get_object_or_404(Offer.objects.select_related("campaign"), pk=pk)
    batch = None
    raw = request.GET.get("batch", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        batch = get_object_or_404(CodeBatch, pk=int(raw), offer=offer)
    name = f"offer-{offer.pk}-codes{f'-batch-{batch.pk}' if batch else ''}.csv"
    response = StreamingHttpResponse(offers.codes_export(offer=offer, batch=batch, acting_user=request.user),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
