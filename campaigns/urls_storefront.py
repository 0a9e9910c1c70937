from django.urls import include, path

from .views import backinstock, tracking

urlpatterns = [
    path("r/<str:code>/", tracking.link_redirect, name="campaign_link"),
    path("", include("campaigns.urls_webhooks")),  # POST /webhooks/receipts/<provider>/
    # opens and clicks of a recipient's message (campaigns.tracking)
    path("t/o/<str:token>.gif", tracking.open_pixel, name="campaign_open"),
    path("t/c/<str:token>/", tracking.click_redirect, name="campaign_click"),
    # back-in-stock subscriptions (campaigns.backinstock): the product page's form, the account's list
    path("back-in-stock/subscribe/", backinstock.subscribe, name="back_in_stock_subscribe"),
    path("account/back-in-stock/", backinstock.account_list, name="account_back_in_stock"),
    path("account/back-in-stock/<int:pk>/cancel/", backinstock.account_cancel, name="account_back_in_stock_cancel"),
]
