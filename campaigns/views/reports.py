"""HQ's reports in the console (campaigns.reports): sales, pickup and fulfilment times, campaign
performance, engagement by segment and message type. One URL per report: the page, or (``?format=csv``) exactly its table as CSV.

Who: HQ marketers and administrators, who see every store (``orders.view_sales_dashboard`` for
sales and fulfilment, ``campaigns.view_campaign`` for performance). Store staff are not let in:
their own store's day is on their dashboard and register reports.

CSV: UTF-8 with a byte order mark, which Excel on Japanese Windows opens as UTF-8 (without it,
it would read Shift_JIS and garble the names); text cells that look like a formula get an
apostrophe (customers.customer_list.csv_cell)."""

import csv
import io
from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from customers.customer_list import csv_cell
from kernel.console import console_view

from .. import reports
from ..forms_reports import PeriodForm


def _csv(name: str, period: reports.Period, header: list[str], rows: list[list]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[csv_cell(cell) if isinstance(cell, (str, datetime)) else ("" if cell is None else cell) for cell in row]
                      for row in rows])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{period.start}-{period.end}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _ratio(value: float | None) -> float | None:
    """A change or rate for CSV: in percent, one decimal."""
    return None if value is None else round(value * 100, 1)


def _page(request, template: str, form: PeriodForm, context: dict, *, status: int = 200):
    return render(request, template, {"form": form, "csv_query": request.GET.urlencode(), **context}, status=status)


SALES_COLUMNS = ("orders", "cancelled_orders", "gross", "cancelled", "net", "refunds")


def sales_rows_csv(report: reports.SalesReport) -> tuple[list[str], list[list]]:
    header = [_("Breakdown"), _("Name"), _("Orders"), _("Cancelled orders"), _("Gross sales"), _("Cancelled"),
              _("Net sales"), _("Refunds"), _("Net sales, previous period"), _("Change in net sales (%)")]
    rows = []
    for label, items in ((_("Total"), [report.total]), (_("Channel"), report.channels),
                         (_("Store"), report.stores)):
        for item in items:
            rows.append([label, item.label, *(getattr(item.current, name) for name in SALES_COLUMNS),
                         item.previous.net, _ratio(item.net_change)])
    for day in report.days:
        rows.append([pgettext("chart axis", "Day"), day.day.isoformat(),
                     *(getattr(day.current, name) for name in SALES_COLUMNS),
                     day.previous.net, _ratio(day.net_change)])
    return header, rows


def _report(request, name: str, build, rows_csv, chart) -> HttpResponse:
    """One report page: the period from the query (400 with the form's errors), the report built
    by its service, as CSV with ``?format=csv``, else the page with its chart."""
    template = f"campaigns/console/report_{name}.html"
    form = PeriodForm.from_query(request.GET)
    if not form.is_valid():
        return _page(request, template, form, {}, status=400)
    report = build(period=form.period)
    if request.GET.get("format") == "csv":
        return _csv(name, form.period, *rows_csv(report))
    return _page(request, template, form, {"report": report, "chart": chart(report)})


@console_view("orders.view_sales_dashboard")
def sales(request):
    return _report(request, "sales", reports.sales_report, sales_rows_csv, reports.sales_chart)


def fulfilment_rows_csv(report: reports.FulfilmentReport) -> tuple[list[str], list[list]]:
    header = [_("Store"), _("Pickups ready"), _("Placed → ready, median (h)"), _("Placed → ready, 90% (h)"),
              _("Pickups collected"), _("Ready → collected, median (h)"), _("Ready → collected, 90% (h)"),
              _("Ready but not collected"), _("Deliveries shipped"), _("Placed → shipped, median (h)"),
              _("Placed → shipped, 90% (h)")]
    rows = [[store.label, store.to_ready.count, store.to_ready.median, store.to_ready.p90, store.to_collect.count,
             store.to_collect.median, store.to_collect.p90, store.uncollected, store.to_ship.count,
             store.to_ship.median, store.to_ship.p90] for store in [*report.stores, report.total]]
    return header, rows


@console_view("orders.view_sales_dashboard")
def fulfilment(request):
    return _report(request, "fulfilment", reports.fulfilment_report, fulfilment_rows_csv, reports.fulfilment_chart)


PERFORMANCE_COLUMNS = ("sent", "delivered", "opened", "clicked", "converted", "revenue", "unsubscribed")


def performance_rows_csv(report: reports.PerformanceReport) -> tuple[list[str], list[list]]:
    figure = [pgettext("campaign figure", "Sent"), pgettext("campaign figure", "Delivered"),
              pgettext("campaign figure", "Opened"), pgettext("campaign figure", "Clicked"),
              pgettext("campaign figure", "Converted")]
    header = [_("Kind"), _("Name"), _("Started"), *figure, _("Revenue"), _("Unsubscribed"), _("Open rate (%)"),
              _("Click rate (%)"), _("Conversion rate (%)")]
    rows = [[row.kind_label, row.label, row.started_at,
             *(getattr(row.figures, name) for name in PERFORMANCE_COLUMNS), _ratio(row.figures.open_rate),
             _ratio(row.figures.click_rate), _ratio(row.figures.conversion_rate)] for row in report.rows]
    total = report.total
    rows.append([_("Total"), "", None, *(getattr(total, name) for name in PERFORMANCE_COLUMNS),
                 _ratio(total.open_rate), _ratio(total.click_rate), _ratio(total.conversion_rate)])
    return header, rows


@console_view("campaigns.view_campaign")
def performance(request):
    return _report(request, "performance", reports.performance_report, performance_rows_csv,
                   reports.performance_chart)


def engagement_rows_csv(report: reports.EngagementReport) -> tuple[list[str], list[list]]:
    header = [_("Segment"), _("Message type"), _("Channel"), pgettext("campaign figure", "Sent"),
              pgettext("campaign figure", "Opened"), pgettext("campaign figure", "Clicked"),
              pgettext("campaign figure", "Converted"), _("Open rate (%)"), _("Click rate (%)"),
              _("Conversion rate (%)")]
    rows = []
    for segment in report.segments:
        for cell in [reports.EngagementCell("", "", segment.total), *segment.cells]:
            figures = cell.figures
            rows.append([segment.label, cell.type_label if cell.message_type else _("Total"),
                         cell.channel_label if cell.channel else "", figures.sent, figures.opened, figures.clicked,
                         figures.converted, _ratio(figures.open_rate), _ratio(figures.click_rate),
                         _ratio(figures.conversion_rate)])
    return header, rows


@console_view("campaigns.view_campaign")
def engagement(request):
    return _report(request, "engagement", reports.engagement_report, engagement_rows_csv, reports.engagement_chart)
