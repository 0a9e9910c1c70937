"""Campaigns' console pages (namespace "console")."""

from django.urls import include, path

from .views import abtest, attribution, backinstock, console, journeys, reports

urlpatterns = [
    path("", include("campaigns.urls_suppression")),  # the suppression list
    path("", include("campaigns.urls_offers")),  # offers and codes
    path("attribution/", attribution.attribution_page, name="attribution"),
    path("attribution/costs/", attribution.attribution_costs, name="attribution_costs"),
    path("attribution/runs/", attribution.attribution_run_start, name="attribution_run_start"),
    path("attribution/runs/<int:pk>/", attribution.attribution_run_progress, name="attribution_run"),
    path("attribution/costs/<int:pk>/delete/", attribution.attribution_cost_delete, name="attribution_cost_delete"),
    path("back-in-stock/", backinstock.console_list, name="back_in_stock"),
    path("reports/sales/", reports.sales, name="report_sales"),
    path("reports/fulfilment/", reports.fulfilment, name="report_fulfilment"),
    path("reports/performance/", reports.performance, name="report_performance"),
    path("journeys/", journeys.journey_list, name="journeys"),
    path("journeys/new/", journeys.journey_create, name="journey_create"),
    path("journeys/ready-made/", journeys.journey_from_ready_made, name="journey_from_template"),
    path("journeys/<int:pk>/", journeys.journey_detail, name="journey_detail"),
    path("journeys/<int:pk>/settings/", journeys.journey_edit, name="journey_edit"),
    path("journeys/<int:pk>/do/<slug:action>/", journeys.journey_action, name="journey_action"),
    path("journeys/<int:pk>/steps/new/", journeys.step_new, name="journey_step_new"),
    path("journeys/<int:pk>/steps/<int:step_id>/", journeys.step_edit, name="journey_step_edit"),
    path("journeys/<int:pk>/steps/<int:step_id>/remove/", journeys.step_remove, name="journey_step_remove"),
    path("reports/engagement/", reports.engagement, name="report_engagement"),
    path("campaigns/", console.campaign_list, name="campaigns"),
    path("campaigns/new/", console.campaign_create, name="campaign_create"),
    path("campaigns/audience-count/", console.audience_count, name="campaign_audience_count"),
    path("campaigns/policy/", console.sending_policy, name="sending_policy"),
    path("campaigns/<int:pk>/", console.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", console.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/progress/", console.campaign_progress_view, name="campaign_progress"),
    path("campaigns/<int:pk>/do/<slug:action>/", console.campaign_action, name="campaign_action"),
    path("campaigns/<int:pk>/messages/new/", console.message_new, name="campaign_message_new"),
    path("campaigns/<int:pk>/messages/<slug:channel>/<str:language>/", console.message_edit, name="campaign_message"),
    path("campaigns/<int:pk>/preview/<int:message_id>/", console.message_preview, name="campaign_preview"),
    path("campaigns/<int:pk>/test/<int:message_id>/", console.message_test_send, name="campaign_test_send"),
    path("campaigns/<int:pk>/ab-test/", abtest.abtest_save, name="campaign_abtest"),
    path("campaigns/<int:pk>/ab-test/winner/", abtest.abtest_send_winner, name="campaign_abtest_winner"),
    path("campaigns/<int:pk>/print/", console.print_start, name="campaign_print"),
    path("campaigns/<int:pk>/print/<int:run_id>/", console.print_run_row, name="campaign_print_run"),
    path("campaigns/<int:pk>/print/<int:run_id>/<int:index>/", console.print_download, name="campaign_print_file"),
]
