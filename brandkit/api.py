"""Brand kit API: kits, versions, palette and rules (read: any authenticated user; write:
brandkit.change_brandkit), and ``POST lint/`` -> violations. Writes call the same services
as the console; ValidationError maps to the project's 400 body in ``omnishop.api``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from omnishop.api import ERROR_400, ActionPermission

from . import linting, selectors, services
from .models import BrandKitVersion
from .serializers import (
    KitSerializer,
    LintRequestSerializer,
    LintResponseSerializer,
    PaletteWriteSerializer,
    RulesWriteSerializer,
    VersionSerializer,
    VersionWriteSerializer,
)

READ = None
WRITE = "brandkit.change_brandkit"


class KitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = KitSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": READ, "retrieve": READ, "draft": WRITE}
    filter_backends: list = []

    def get_queryset(self):
        return selectors.kits()

    @extend_schema(request=None, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        """The kit's draft (created from the published version when there is none)."""
        version = services.draft_get_or_create(kit=self.get_object(), acting_user=request.user)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data, status=status.HTTP_201_CREATED)


class VersionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VersionSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": READ, "retrieve": READ, "partial_update": WRITE, "palette": WRITE,
                          "rules": WRITE, "publish": WRITE}
    filter_backends: list = []
    http_method_names = ["get", "patch", "put", "post", "head", "options"]

    def get_queryset(self):
        queryset = BrandKitVersion.objects.select_related("kit").prefetch_related("palette", "rules")
        kit = self.request.query_params.get("kit")
        if kit and kit.isdigit():
            queryset = queryset.filter(kit_id=kit)
        return queryset.order_by("kit_id", "-number")

    @extend_schema(request=VersionWriteSerializer, responses={200: VersionSerializer, 400: ERROR_400})
    def partial_update(self, request, pk=None):
        version = self.get_object()
        serializer = VersionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.draft_update(version=version, acting_user=request.user, **serializer.validated_data)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)

    @extend_schema(request=PaletteWriteSerializer, responses={200: VersionSerializer, 400: ERROR_400})
    @action(detail=True, methods=["put"])
    def palette(self, request, pk=None):
        version = self.get_object()
        serializer = PaletteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        colours = [(c["role"], c["hex"]) for c in serializer.validated_data["colours"]]
        names = {c["role"]: c.get("name", "") for c in serializer.validated_data["colours"]}
        services.palette_set(version=version, colours=colours, names=names)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)

    @extend_schema(request=RulesWriteSerializer, responses={200: VersionSerializer, 400: ERROR_400})
    @action(detail=True, methods=["put"])
    def rules(self, request, pk=None):
        version = self.get_object()
        serializer = RulesWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = [services.RuleIn(kind=r["kind"], pattern=r["pattern"], replacement=r.get("replacement", ""),
                                 message=r.get("message", ""), severity=r.get("severity", "warning"),
                                 channels=tuple(r.get("channels") or ()))
                 for r in serializer.validated_data["rules"]]
        services.rules_set(version=version, rules=rules)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)

    @extend_schema(request=None, responses={200: VersionSerializer, 400: ERROR_400})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = services.version_publish(version=self.get_object(), acting_user=request.user,
                                           note=str(request.data.get("note", ""))[:200])
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)


class LintView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": READ}

    @extend_schema(request=LintRequestSerializer, responses={200: LintResponseSerializer, 400: ERROR_400})
    def post(self, request):
        serializer = LintRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = get_object_or_404(BrandKitVersion, pk=data["version"]) if data.get("version") else None
        ok, violations = services.lint_for_send(data["text"], data["channel"], data["locale"], version=version,
                                                source="api")
        return Response({"ok": ok, "violations": [v.as_dict() for v in violations],
                         "score": linting.score(violations)})
