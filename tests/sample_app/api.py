from rest_framework import serializers, viewsets

from kernel.api import ActionPermission

from .models import Notice


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "text"]


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Notice.objects.order_by("pk")
    serializer_class = NoticeSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": "sample_app.view_notice", "retrieve": "sample_app.view_notice"}


def register_routes(router) -> None:
    router.register("notices", NoticeViewSet, basename="notice")
