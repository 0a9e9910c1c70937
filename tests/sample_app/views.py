from django.http import HttpResponse

from kernel.console import console_view

from .models import Notice


@console_view("sample_app.view_notice")
def board(request):
    return HttpResponse("Notice board: " + ", ".join(notice.text for notice in Notice.objects.order_by("pk")))
