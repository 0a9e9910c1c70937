"""Console pages of offers and codes (campaigns.views.offers). Mounted by CampaignsConfig in the
"console" namespace: the names are ``console:offers``, ``console:offer_detail``…"""

from django.urls import path

from .views import offers

urlpatterns = [
    path("offers/", offers.offer_list, name="offers"),
    path("offers/new/", offers.offer_create, name="offer_create"),
    path("offers/<int:pk>/", offers.offer_detail, name="offer_detail"),
    path("offers/<int:pk>/edit/", offers.offer_edit, name="offer_edit"),
    path("offers/<int:pk>/codes/", offers.offer_code_create, name="offer_code_create"),
    path("offers/<int:pk>/codes/generate/", offers.offer_codes_generate, name="offer_codes_generate"),
    path("offers/<int:pk>/codes/export/", offers.offer_codes_export, name="offer_codes_export"),
    path("offers/<int:pk>/batches/<int:batch_id>/", offers.code_batch_progress, name="code_batch_progress"),
]
