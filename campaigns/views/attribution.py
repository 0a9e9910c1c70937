"""Attribution in the console (HQ): the six models side by side per channel and per campaign with
the return on the costs entered, as a chart and tables and as CSV; and the costs' own page. The
figures are ``campaigns.attribution``'s, the costs' writes its ``channel_cost_save`` /
``channel_cost_delete``: the API calls the same.

A range of ordinary size is computed in the request: four queries and one pass over the touches
(bench/attribution.py measures it; a demo shop's 90 days take well under a second). A big one
(``campaigns.attribution_runs.needs_background``) is computed by a django-q2 job that the page
starts (a POST it sends by itself when it loads, or a button without JavaScript) and follows with
a progress bar polled by htmx; its result is kept, so the same range opened again shows it, with
when it was computed and a "recompute" button."""

import csv
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from kernel.console import console_view

from .. import attribution, attribution_runs
from ..errors import CampaignInvalid
from ..models import Campaign, ChannelCost
from ..models_attribution import AttributionChannel, AttributionRun, AttributionRunStatus


class AttributionForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("date range", "To"), widget=forms.DateInput(attrs={"type": "date"}))
    window_days = forms.IntegerField(label=_("Look-back window (days)"), min_value=1,
                                     max_value=attribution.MAX_WINDOW_DAYS,
                                     initial=attribution.DEFAULT_WINDOW_DAYS,
                                     help_text=_("Touches this many days before an order count for it."))
    half_life_days = forms.FloatField(label=_("Half-life (days)"), initial=attribution.DEFAULT_HALF_LIFE_DAYS,
                                      help_text=_("Time decay: a touch this much older gets half the credit."))

    def clean_half_life_days(self):
        value = self.cleaned_data["half_life_days"]
        if value is None or not value > 0:
            raise forms.ValidationError(_("Enter a half-life greater than 0 days."))
        return value

    def params(self) -> attribution.Params:
        """The service's checked inputs; its errors land on the form's fields."""
        data = self.cleaned_data
        try:
            return attribution.params_validate(start=data["start"], end=data["end"],
                                               window_days=data["window_days"],
                                               half_life_days=data["half_life_days"])
        except CampaignInvalid as exc:
            for name, errors in exc.errors.items():
                self.add_error(name if name in self.fields else None, errors)
            raise


def _defaults() -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat(),
            "window_days": attribution.DEFAULT_WINDOW_DAYS, "half_life_days": attribution.DEFAULT_HALF_LIFE_DAYS}


def _csv(report: attribution.Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="attribution-{report.params.start:%Y%m%d}-{report.params.end:%Y%m%d}.csv"')
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv.writer(response)
    header = [gettext("Scope"), gettext("Key"), gettext("Name"), gettext("Cost (yen)")]
    for model in attribution.MODELS:
        label = str(attribution.MODEL_LABELS[model])
        header += [f"{label} {gettext('conversions')}", f"{label} {gettext('revenue')}", f"{label} ROAS"]
    writer.writerow(header)
    for scope, rows in ((gettext("Channel"), report.channels), (gettext("Campaign"), report.campaigns)):
        for row in rows:
            line = [scope, row.key, row.label, "" if row.cost is None else row.cost]
            for model in attribution.MODELS:
                roas = row.roas(model)
                line += [f"{row.credits[model].conversions:.4f}", round(row.credits[model].revenue),
                         "" if roas is None else f"{roas:.2f}"]
            writer.writerow(line)
    return response


def _table(rows: list[attribution.Row]) -> list[dict]:
    """The rows as the page shows them: per model conversions (two decimals), revenue and ROAS."""
    out = []
    for row in rows:
        cells = []
        for model in attribution.MODELS:
            credit, roas = row.credits[model], row.roas(model)
            cells.append({"conversions": f"{credit.conversions:,.2f}", "revenue": f"¥{round(credit.revenue):,}",
                          "roas": "" if roas is None else f"{roas:,.2f}"})
        out.append({"key": row.key, "label": row.label, "cost": "" if row.cost is None else f"¥{row.cost:,}",
                    "cells": cells})
    return out


def _fields(params: attribution.Params) -> list[tuple[str, str]]:
    """The range as the form posts it (the start form's hidden fields)."""
    return [("start", params.start.isoformat()), ("end", params.end.isoformat()),
            ("window_days", str(params.window_days)), ("half_life_days", f"{params.half_life_days:g}")]


def _query(params: attribution.Params) -> str:
    return urlencode(_fields(params))


@console_view("campaigns.view_attribution")
def attribution_page(request):
    form = AttributionForm(request.GET or _defaults())
    report = run = None
    params = None
    background = False
    status = 200
    if form.is_valid():
        try:
            params = form.params()
        except CampaignInvalid:
            status = 400
        else:
            run = attribution_runs.run_for(params)
            if run is not None and run.status == AttributionRunStatus.DONE:
                report = attribution_runs.run_report(run)  # computed before: kept, with a recompute button
            elif run is not None or attribution_runs.needs_background(params):
                background = True  # the job's progress, or the form that starts it
            else:
                report = attribution.attribution_report(params)
    else:
        status = 400
    if report is not None and request.GET.get("format") == "csv":
        return _csv(report)
    context = {"run": run, "background": background, "run_fields": _fields(params) if params else [],
               "run_stale": run is not None and attribution_runs.is_stale(run),
               "run_step": attribution_runs.step_label(run.step) if run is not None else "","form": form, "report": report, "models": [(m, attribution.MODEL_LABELS[m]) for m in attribution.MODELS],
               "chart": attribution.revenue_chart(
                   [row for row in report.channels if row.key != attribution.NO_TOUCH]) if report else None,
               "channel_rows": _table(report.channels) if report else [],
               "campaign_rows": _table(report.campaigns) if report else [],
               "query": request.GET.urlencode() if request.GET else "&".join(f"{k}={v}" for k, v in _defaults().items()),
               "can_cost": request.user.has_perm("campaigns.add_channelcost")}
    return render(request, "campaigns/console/attribution.html", context, status=status)


class CostForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            help_text=_("The cost of the whole month (YYYY-MM)."))
    channel = forms.ChoiceField(label=_("Channel"), choices=AttributionChannel.choices)
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False, queryset=Campaign.objects.none(),
                                      empty_label=_("The whole channel"),
                                      help_text=_("Optional: the campaign this spending was for (it counts for its channel too)."))
    amount = forms.IntegerField(label=_("Cost (yen)"), min_value=0,
                                error_messages={"min_value": _("A cost cannot be negative.")})
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-created_at")


def _costs_page(request, form, *, status=200):
    costs = ChannelCost.objects.select_related("campaign", "updated_by").order_by("-month", "channel", "campaign_id")
    return render(request, "campaigns/console/attribution_costs.html", {
        "form": form, "costs": costs[:200], "can_edit": request.user.has_perm("campaigns.add_channelcost"),
        "can_delete": request.user.has_perm("campaigns.delete_channelcost")}, status=status)


@console_view("campaigns.view_channelcost")
def attribution_costs(request):
    if request.method != "POST":
        return _costs_page(request, CostForm(initial={"month": timezone.localdate().strftime("%Y-%m")}))
    if not request.user.has_perm("campaigns.add_channelcost"):
        from kernel.console import forbidden

        return forbidden(request)
    form = CostForm(request.POST)
    if form.is_valid():
        try:
            attribution.channel_cost_save(acting_user=request.user, **form.cleaned_data)
        except CampaignInvalid as exc:
            for name, errors in exc.errors.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Cost saved."))
            return redirect("console:attribution_costs")
    return _costs_page(request, form, status=400)


@console_view("campaigns.delete_channelcost")
@require_POST
def attribution_cost_delete(request, pk: int):
    attribution.channel_cost_delete(cost=get_object_or_404(ChannelCost, pk=pk), acting_user=request.user)
    messages.success(request, _("Cost removed."))
    return redirect("console:attribution_costs")


@console_view("campaigns.view_attribution")
@require_POST
def attribution_run_start(request):
    """Start (or start again: ``recompute``) the job of the range posted; back to its page."""
    form = AttributionForm(request.POST)
    if not form.is_valid():
        return redirect(f"{reverse('console:attribution')}?{request.POST.urlencode()}")
    try:
        params = form.params()
    except CampaignInvalid:
        return redirect(f"{reverse('console:attribution')}?{request.POST.urlencode()}")
    attribution_runs.attribution_run_start(params=params, acting_user=request.user,
                                           recompute=bool(request.POST.get("recompute")))
    url = f"{reverse('console:attribution')}?{_query(params)}"
    if request.htmx:
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(url)
    return redirect(url)


@console_view("campaigns.view_attribution")
def attribution_run_progress(request, pk: int):
    """The run's progress bar (polled by htmx); once it is done, the page again with the result."""
    run = get_object_or_404(AttributionRun, pk=pk)
    if run.status == AttributionRunStatus.DONE:
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect(f"{reverse('console:attribution')}?{_query(attribution_runs.run_params(run))}")
    return render(request, "campaigns/console/_attribution_run.html", {
        "run": run, "run_stale": attribution_runs.is_stale(run), "run_step": attribution_runs.step_label(run.step),
        "run_fields": _fields(attribution_runs.run_params(run))})
