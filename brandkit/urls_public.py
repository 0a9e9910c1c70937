from django.urls import path

from .views import public

app_name = "brandguide"
urlpatterns = [
    path("<str:token>/", public.guide, name="guide"),
]
