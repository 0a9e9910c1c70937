from django.urls import path

from .views import public

app_name = "brandguide"
urlpatterns = [
    path("", public.guide_index, name="index"),
    path("<str:token>/", public.guide, name="guide"),
]
