"""Console pages of the registers (orders.views.registers). Mounted by orders.urls_console in the
"console" namespace: ``console:registers``, ``console:register_close``…"""

from django.urls import path

from .views import registers

urlpatterns = [
    path("registers/", registers.register_list, name="registers"),
    path("registers/new/", registers.register_create, name="register_create"),
    path("registers/day/", registers.register_day, name="register_day"),
    path("registers/history/", registers.register_history, name="register_history"),
    path("registers/<int:pk>/open/", registers.register_open, name="register_open"),
    path("registers/sessions/<int:pk>/", registers.register_session, name="register_session"),
    path("registers/sessions/<int:pk>/close/", registers.register_close, name="register_close"),
]
