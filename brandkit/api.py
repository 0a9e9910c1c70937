"""Brand kit API: brands, kits, versions, palette, rules, logos and ``POST lint/`` -> violations.

Who may do what:

* any authenticated user (storefront customer accounts included) reads brands, kits and
  **published** versions, and lints copy against a published version (throttled);
* staff with ``brandkit.view_brandkit`` also read drafts, lint against a draft, read the
  consistency scores and may ask for a lint to be recorded (``record``: save / send);
* HQ with ``brandkit.change_brandkit`` writes: create a brand (with its kit and draft), set
  the default brand, edit a draft (sections, palette, rules, logo upload) and publish it.

Writes call the same services as the console; ValidationError maps to the project's 400
body in ``kernel.api``.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, ErrorSerializer
from kernel.throttling import UserRateThrottle

from . import linting, selectors, services
from .models import Brand, BrandKitVersion, VersionStatus
from .serializers import (
    BrandSerializer,
    BrandStartedSerializer,
    BrandStartSerializer,
    ConsistencyScoreSerializer,
    KitSerializer,
    LintRequestSerializer,
    LintResponseSerializer,
    LogoSerializer,
    LogoUploadSerializer,
    PaletteWriteSerializer,
    PublishSerializer,
    RulesWriteSerializer,
    VersionSerializer,
    VersionWriteSerializer,
)

READ = None
VIEW = "brandkit.view_brandkit"
WRITE = "brandkit.change_brandkit"


def sees_drafts(user) -> bool:
    """Staff who may read unpublished drafts and lint-check figures (not customer accounts)."""
    return user.has_perm(VIEW)


def readable_versions(user):
    """The versions ``user`` may read: every one for staff, published ones for anyone else."""
    queryset = BrandKitVersion.objects.select_related("kit").prefetch_related("palette", "rules", "logos")
    if not sees_drafts(user):
        queryset = queryset.filter(status=VersionStatus.PUBLISHED)
    return queryset


class BrandViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BrandSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": READ, "retrieve": READ, "create": WRITE, "default": WRITE}
    filter_backends: list = []

    def get_queryset(self):
        return Brand.objects.order_by("-is_default", "name")

    @extend_schema(request=BrandStartSerializer, responses={201: BrandStartedSerializer, 400: ERROR_400,
                                                            403: ERROR_403})
    def create(self, request):
        """A new brand with an active kit and its draft v1 (brand name and a neutral palette filled
        in): edit the draft, then publish it."""
        serializer = BrandStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kit = services.brand_start(**serializer.validated_data, acting_user=request.user)
        draft = kit.versions.get(status=VersionStatus.DRAFT)
        return Response({"brand": BrandSerializer(kit.brand).data, "kit": KitSerializer(kit).data,
                         "draft": VersionSerializer(selectors.version_detail(draft.pk)).data},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BrandSerializer, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["post"])
    def default(self, request, pk=None):
        """Make this brand the default: the console, storefront and emails render with its active kit."""
        brand = services.brand_set_default(brand=self.get_object(), acting_user=request.user)
        return Response(BrandSerializer(brand).data)


DAYS_PARAMETER = OpenApiParameter("days", OpenApiTypes.INT, required=False,
                                  description="The period in days (1-365, default 30).")


class KitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = KitSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": READ, "retrieve": READ, "draft": WRITE, "scores": VIEW}
    filter_backends: list = []

    def get_queryset(self):
        return selectors.kits()

    @extend_schema(request=None, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        """The kit's draft (created from the published version when there is none)."""
        version = services.draft_get_or_create(kit=self.get_object(), acting_user=request.user)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[DAYS_PARAMETER], responses={200: ConsistencyScoreSerializer(many=True),
                                                           403: ERROR_403})
    @action(detail=True, methods=["get"], pagination_class=None)
    def scores(self, request, pk=None):
        """Per channel: the recorded checks of copy saved or sent in the period, and the share
        with no errors (staff only)."""
        days = request.query_params.get("days", "30")
        if not days.isdigit() or not 1 <= int(days) <= 365:
            raise exceptions.ValidationError({"days": [_("Enter a whole number of days from 1 to 365.")]})
        scores = selectors.consistency_scores(int(days), kit=self.get_object())
        return Response([{"channel": code, **row} for code, row in scores.items()])


class VersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Published versions for any authenticated user; drafts only for staff (brandkit.view_brandkit)."""

    serializer_class = VersionSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"list": READ, "retrieve": READ, "partial_update": WRITE, "palette": WRITE,
                          "rules": WRITE, "publish": WRITE, "logos": WRITE}
    filter_backends: list = []
    http_method_names = ["get", "patch", "put", "post", "head", "options"]

    def get_queryset(self):
        queryset = readable_versions(self.request.user)
        kit = self.request.query_params.get("kit")
        if kit and kit.isdigit():
            queryset = queryset.filter(kit_id=kit)
        return queryset.order_by("kit_id", "-number")

    @extend_schema(parameters=[OpenApiParameter("kit", OpenApiTypes.INT, required=False,
                                                description="Only the versions of this kit.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

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
        services.palette_set(version=version, colours=colours, names=names, acting_user=request.user)
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
        services.rules_set(version=version, rules=rules, acting_user=request.user)
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)

    @extend_schema(request={"multipart/form-data": LogoUploadSerializer},
                   responses={201: LogoSerializer, 400: ERROR_400, 403: ERROR_403})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def logos(self, request, pk=None):
        """Upload a logo to a draft (multipart ``logo``, optional ``name``): PNG, JPEG or WebP up
        to 5 MB; it becomes the primary logo, stored with its variants (mono, reversed, favicons)."""
        version = self.get_object()
        serializer = LogoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        logo = services.logo_add(version=version, upload=serializer.validated_data["logo"],
                                 name=serializer.validated_data["name"], acting_user=request.user)
        return Response(LogoSerializer(logo).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PublishSerializer, responses={200: VersionSerializer, 400: ERROR_400})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft: it becomes its kit's active version (400 when it is not a draft or
        is incomplete: a colour role missing, no brand name, a required legal footer empty)."""
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.version_publish(version=self.get_object(), acting_user=request.user,
                                           note=serializer.validated_data["note"])
        return Response(VersionSerializer(selectors.version_detail(version.pk)).data)


class LintThrottle(UserRateThrottle):
    """Lint calls per user (counted atomically, see ``kernel.throttling``). The rate is
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["brandkit_lint"]`` when set, else
    ``BRANDKIT_LINT_RATE``, else 120 a minute."""

    scope = "brandkit_lint"
    default_rate = "120/minute"

    def get_rate(self) -> str:
        return ((api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope)
                or getattr(settings, "BRANDKIT_LINT_RATE", None) or self.default_rate)


ERROR_429 = OpenApiResponse(ErrorSerializer, description="Too many lint calls from this user; retry after the "
                                                         "number of seconds in Retry-After.")


class LintView(APIView):
    """Check copy against the active kit (or ``version``). Nothing is recorded unless ``record``
    says the copy is being saved or sent: ad-hoc checks do not move the consistency score."""

    permission_classes = [ActionPermission]
    action_permissions = {"post": READ}
    throttle_classes = [LintThrottle]

    @extend_schema(request=LintRequestSerializer, responses={
        200: LintResponseSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 429: ERROR_429})
    def post(self, request):
        serializer = LintRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["record"] and not sees_drafts(request.user):
            raise exceptions.PermissionDenied(_("Only staff may record a check for the consistency score."))
        version = None
        if data.get("version"):
            version = get_object_or_404(readable_versions(request.user), pk=data["version"])
        violations = services.lint(data["text"], data["channel"], data["locale"], version=version,
                                   record=f"api-{data['record']}" if data["record"] else "")
        return Response({"ok": not services.blocking(violations), "violations": [v.as_dict() for v in violations],
                         "score": linting.score(violations)})
