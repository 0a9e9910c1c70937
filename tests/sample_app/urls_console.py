from django.urls import path

from . import views

urlpatterns = [
    path("notices/", views.board, name="sample_board"),
]
