"""REST endpoints for segments, personas and RFM/CLV scores (marketers and administrators).
The same services as the console: ``customers.segments`` and ``customers.scores``."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ERROR_409, ActionPermission, Pagination

from . import scores, segments
from .models import (
    Customer,
    CustomerScore,
    ExportEncoding,
    JobStatus,
    Persona,
    Segment,
    SegmentExport,
    SegmentKind,
    SegmentSnapshot,
)

RULES_EXAMPLE = {
    "match": "all",
    "groups": [{"match": "all", "conditions": [
        {"field": "rfm_segment", "operator": "in", "value": ["champions", "loyal"]},
        {"field": "prefecture", "operator": "in", "value": ["13", "14"]},
        {"field": "bought_category", "operator": "in_last_days", "value": "シャツ", "days": 90},
        {"field": "consent", "operator": "granted", "value": "email", "purpose": "marketing"},
    ]}],
}
BAD_RULES_EXAMPLE = {"code": "invalid", "detail": "The segment has invalid fields or rules.",
                     "errors": {"rules.groups.0.conditions.2.field": ["Unknown field: shoe_size."]}}


class PersonaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Persona
        fields = ["id", "name", "summary", "goals", "preferred_channels", "messages", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # the service names a duplicate


class SegmentSerializer(serializers.ModelSerializer):
    rules = serializers.JSONField(required=False, help_text="AND/OR groups of conditions: see GET /segments/fields/.")
    persona = serializers.PrimaryKeyRelatedField(queryset=Persona.objects.all(), allow_null=True, required=False)
    persona_name = serializers.CharField(source="persona.name", read_only=True, default="")

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "kind", "rules", "persona", "persona_name", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone",
                  "prefecture", "city"]


class ScoreSerializer(serializers.ModelSerializer):
    clv_historic = serializers.IntegerField(source="monetary", help_text="Total spent, tax included (yen).")
    label_display = serializers.CharField(source="get_label_display")

    class Meta:
        model = CustomerScore
        fields = ["customer", "r", "f", "m", "label", "label_display", "recency_days", "frequency", "monetary",
                  "clv_historic", "last_order_at", "computed_at"]


class ExportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = SegmentExport
        fields = ["id", "segment", "snapshot", "encoding", "status", "total", "done", "percent", "error",
                  "created_at", "finished_at"]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = SegmentSnapshot
        fields = ["id", "taken_at", "count", "with_members"]


COUNT_OUT = inline_serializer("SegmentCount", {"count": serializers.IntegerField()})
PREVIEW_SIZE = segments.PREVIEW_SIZE
PREVIEW_OUT = inline_serializer("SegmentPreview", {"count": serializers.IntegerField(),
                                                   "members": MemberSerializer(many=True)})
RULES_IN = inline_serializer("SegmentRulesIn", {"rules": serializers.JSONField()})
EXPORT_IN = inline_serializer("SegmentExportIn", {
    "encoding": serializers.ChoiceField(choices=ExportEncoding.choices, required=False),
    "snapshot": serializers.IntegerField(required=False, help_text="A snapshot that kept its members.")})
UPLOAD_IN = inline_serializer("SegmentUploadIn", {
    "file": serializers.FileField(help_text="CSV, UTF-8 or Shift_JIS, with a header naming an email, "
                                            "customer_id or phone column."),
    "replace": serializers.BooleanField(required=False, default=True)})
UPLOAD_OUT = inline_serializer("SegmentUploadOut", {"members": serializers.IntegerField()})


@extend_schema(tags=["segments"])
@extend_schema_view(
    list=extend_schema(summary="Segments", responses={200: SegmentSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One segment", responses={200: SegmentSerializer, 403: ERROR_403,
                                                             404: ERROR_404}),
)
class SegmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Define segments (rules or a static list), count them, page through or export their members."""

    serializer_class = SegmentSerializer
    pagination_class = Pagination
    filter_backends = []
    permission_classes = [ActionPermission]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        "list": "customers.view_segment", "retrieve": "customers.view_segment", "count": "customers.view_segment",
        "members": "customers.view_segment", "preview": "customers.view_segment", "fields": "customers.view_segment",
        "snapshots": ("customers.view_segment",),
        "create": "customers.add_segment", "partial_update": "customers.change_segment",
        "destroy": "customers.delete_segment", "upload": "customers.change_segment",
        "export": "customers.export_segment", "export_status": "customers.export_segment",
        "export_download": "customers.export_segment",
    }

    def get_queryset(self):
        return Segment.objects.select_related("persona").order_by("name")

    def get_permissions(self):
        if getattr(self, "action", None) == "snapshots" and self.request.method == "POST":
            self.action_permissions = {**self.action_permissions, "snapshots": "customers.change_segment"}
        return super().get_permissions()

    @extend_schema(
        summary="Define a segment",
        description="A dynamic segment has rules (see GET /segments/fields/ for every field, its operators, "
                    "value and extra inputs); a static list has no rules and takes members by CSV upload. "
                    "Unknown fields or operators answer 400 naming the path; nothing is stored.",
        request=SegmentSerializer,
        responses={201: SegmentSerializer, 400: ERROR_400, 403: ERROR_403},
        examples=[OpenApiExample("Four-rule segment", request_only=True, value={
            "name": "首都圏のロイヤル顧客", "kind": "dynamic", "rules": RULES_EXAMPLE}),
            OpenApiExample("Unknown field", response_only=True, status_codes=["400"], value=BAD_RULES_EXAMPLE)],
    )
    def create(self, request):
        incoming = SegmentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        segment = segments.segment_create(
            name=data["name"], kind=data.get("kind", SegmentKind.DYNAMIC), rules=data.get("rules") or {},
            description=data.get("description", ""), persona=data.get("persona"), acting_user=request.user)
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a segment (only the fields sent change)", request=SegmentSerializer,
                   responses={200: SegmentSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[OpenApiExample("Unknown operator", response_only=True, status_codes=["400"], value={
                       "code": "invalid", "detail": "The segment has invalid fields or rules.",
                       "errors": {"rules.groups.0.conditions.0.operator": [
                           "Unknown operator for age: use one of eq, gte, lte."]}})])
    def partial_update(self, request, pk=None):
        segment = self.get_object()
        incoming = SegmentSerializer(segment, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        segment = segments.segment_update(segment=segment, acting_user=request.user, **incoming.validated_data)
        return Response(SegmentSerializer(segment).data)

    @extend_schema(summary="Delete a segment (409 segment_in_use while a campaign or an offer uses it)",
                   responses={204: None, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    def destroy(self, request, pk=None):
        segments.segment_delete(segment=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="How many customers are in the segment now (one SQL count)",
                   responses={200: COUNT_OUT, 403: ERROR_403, 404: ERROR_404},
                   examples=[OpenApiExample("Count", value={"count": 12840})])
    @action(detail=True, methods=["get"])
    def count(self, request, pk=None):
        return Response({"count": segments.segment_customers(self.get_object()).count()})

    @extend_schema(summary="Count rules without saving them, with the first members (the builder's live "
                           "count and preview)", request=RULES_IN,
                   description=f"``count`` and the first {PREVIEW_SIZE} members by id: two SQL queries.",
                   responses={200: PREVIEW_OUT, 400: ERROR_400, 403: ERROR_403},
                   examples=[OpenApiExample("Rules", request_only=True, value={"rules": RULES_EXAMPLE}),
                             OpenApiExample("Preview", response_only=True, value={"count": 12840, "members": [
                                 {"id": 42, "family_name": "山田", "given_name": "花子", "family_name_kana": "ヤマダ",
                                  "given_name_kana": "ハナコ", "email": "hanako@example.jp", "phone": "090-1234-5678",
                                  "prefecture": "13", "city": "渋谷区"}]}),
                             OpenApiExample("Unknown field", response_only=True, status_codes=["400"],
                                            value=BAD_RULES_EXAMPLE)])
    @action(detail=False, methods=["post"])
    def preview(self, request):
        rules = segments.rules_clean(request.data.get("rules") if isinstance(request.data, dict) else None)
        members = segments.rules_customers(rules)
        return Response({"count": members.count(),
                         "members": MemberSerializer(members.order_by("pk")[:PREVIEW_SIZE], many=True).data})

    @extend_schema(summary="The fields rules may use: operators, value type and extra inputs",
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def fields(self, request):
        return Response(fields_schema())

    @extend_schema(summary="The segment's members now, page by page", responses={200: MemberSerializer(many=True),
                                                                                  403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["get"])
    def members(self, request, pk=None):
        members = segments.segment_customers(self.get_object()).order_by("pk")
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(summary="Upload a static list's members (CSV): all rows or none",
                   description="Every row that matches no customer (or several, for a phone) is reported with "
                               "its row number in ``rows`` and ``errors``; the list is then unchanged.",
                   request={"multipart/form-data": UPLOAD_IN},
                   responses={200: UPLOAD_OUT, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[OpenApiExample("Bad rows", response_only=True, status_codes=["400"], value={
                       "code": "invalid_rows", "detail": "1 row could not be matched: nothing was imported.",
                       "rows": [{"row": 3, "value": "nobody@example.jp",
                                 "error": "No customer has this email address."}],
                       "errors": {"rows.3": ["No customer has this email address."]}})])
    @action(detail=True, methods=["post"])
    def upload(self, request, pk=None):
        segment = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["Attach a CSV file."]})
        replace = str(request.data.get("replace", "true")).lower() not in ("false", "0", "no")
        size = segments.segment_members_upload(segment=segment, data=upload.read(), replace=replace,
                                               acting_user=request.user)
        return Response({"members": size})

    @extend_schema(summary="Export the members as CSV (a background job)",
                   description="UTF-8 with BOM (Excel opens it as is) or Shift_JIS. Poll the job, then download.",
                   request=EXPORT_IN, responses={202: ExportSerializer, 400: ERROR_400, 403: ERROR_403},
                   examples=[OpenApiExample("Shift_JIS", request_only=True, value={"encoding": "cp932"})])
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        segment = self.get_object()
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        encoding = request.data.get("encoding", ExportEncoding.UTF8_BOM)
        snapshot = None
        chosen = request.data.get("snapshot")
        if chosen not in (None, ""):
            # one of this segment's snapshots, by its id
            snapshot = (segment.snapshots.filter(pk=int(chosen)).first()
                        if str(chosen).isdigit() else None)
            if snapshot is None:
                raise serializers.ValidationError({"snapshot": [_("No such snapshot of this segment.")]})
        export = segments.segment_export_start(segment=segment, encoding=encoding, snapshot=snapshot,
                                               acting_user=request.user)
        export.refresh_from_db()
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="An export job's progress", responses={200: ExportSerializer, 404: ERROR_404},
                   parameters=[OpenApiParameter("export_id", OpenApiTypes.INT, OpenApiParameter.PATH)])
    @action(detail=True, methods=["get"], url_path=r"exports/(?P<export_id>[0-9]+)")
    def export_status(self, request, pk=None, export_id=None):
        export = get_object_or_404(SegmentExport, pk=export_id, segment=self.get_object())
        return Response(ExportSerializer(export).data)

    @extend_schema(summary="Download a finished export (CSV)",
                   responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: ERROR_404},
                   parameters=[OpenApiParameter("export_id", OpenApiTypes.INT, OpenApiParameter.PATH)])
    @action(detail=True, methods=["get"], url_path=r"exports/(?P<export_id>[0-9]+)/download")
    def export_download(self, request, pk=None, export_id=None):
        export = get_object_or_404(SegmentExport, pk=export_id, segment=self.get_object(), status=JobStatus.DONE)
        return export_file_response(export)

    @extend_schema(summary="The segment's size over time (GET), or take a snapshot now (POST)",
                   request=inline_serializer("SnapshotIn", {"with_members": serializers.BooleanField(
                       required=False, help_text="Keep who is in it, to export the list as of today.")}),
                   responses={200: SnapshotSerializer(many=True), 201: SnapshotSerializer, 403: ERROR_403})
    @action(detail=True, methods=["get", "post"])
    def snapshots(self, request, pk=None):
        segment = self.get_object()
        if request.method == "POST":
            snapshot = segments.segment_snapshot_take(
                segment=segment, with_members=bool(request.data.get("with_members")), acting_user=request.user)
            return Response(SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED)
        return Response(SnapshotSerializer(segment.snapshots.all()[:365], many=True).data)


def export_file_response(export: SegmentExport) -> FileResponse:
    charset = "shift_jis" if export.encoding == ExportEncoding.SHIFT_JIS else "utf-8"
    stamp = timezone.localtime(export.created_at).strftime("%Y%m%d")
    response = FileResponse(segments.export_storage().open(export.file, "rb"), as_attachment=True,
                            filename=f"segment-{export.segment_id}-{stamp}.csv",
                            content_type=f"text/csv; charset={charset}")
    return response


def fields_schema() -> list[dict]:
    def describe(spec_input):
        out = {"type": spec_input.kind}
        if spec_input.choices:
            out["choices"] = [{"value": v, "label": str(label)} for v, label in spec_input.choices()]
        if spec_input.minimum is not None:
            out["min"] = spec_input.minimum
        if spec_input.maximum is not None:
            out["max"] = spec_input.maximum
        return out

    return [{"field": f.key, "label": str(f.label), "group": str(f.group), "operators": list(f.operators),
             "value": describe(f.value), "extras": {name: describe(i) for name, i in f.extras.items()},
             "help": str(f.help)}
            for f in segments.FIELDS.values()]


@extend_schema(tags=["personas"])
@extend_schema_view(
    list=extend_schema(summary="Personas", responses={200: PersonaSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One persona", responses={200: PersonaSerializer, 404: ERROR_404}),
)
class PersonaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonaSerializer
    pagination_class = Pagination
    filter_backends = []
    permission_classes = [ActionPermission]
    queryset = Persona.objects.order_by("name")
    action_permissions = {"list": "customers.view_persona", "retrieve": "customers.view_persona",
                          "create": "customers.add_persona", "partial_update": "customers.change_persona",
                          "destroy": "customers.delete_persona"}

    @extend_schema(summary="Describe a persona", request=PersonaSerializer,
                   responses={201: PersonaSerializer, 400: ERROR_400, 403: ERROR_403},
                   examples=[OpenApiExample("Persona", request_only=True, value={
                       "name": "週末の街歩き派", "summary": "30代、都内在住、週末に店舗へ",
                       "goals": "長く着られる上質な服", "preferred_channels": ["line", "email"],
                       "messages": "新作入荷と店舗イベントの案内"})])
    def create(self, request):
        incoming = PersonaSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        persona = segments.persona_create(acting_user=request.user, **incoming.validated_data)
        return Response(PersonaSerializer(persona).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a persona", request=PersonaSerializer,
                   responses={200: PersonaSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    def partial_update(self, request, pk=None):
        persona = self.get_object()
        incoming = PersonaSerializer(persona, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        persona = segments.persona_update(persona=persona, acting_user=request.user, **incoming.validated_data)
        return Response(PersonaSerializer(persona).data)

    @extend_schema(summary="Delete a persona (its segments keep their rules)",
                   responses={204: None, 403: ERROR_403, 404: ERROR_404})
    def destroy(self, request, pk=None):
        segments.persona_delete(persona=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerScoreView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "customers.view_customerscore"}

    @extend_schema(summary="A customer's RFM scores and historic CLV", tags=["scores"],
                   parameters=[OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                   responses={200: ScoreSerializer, 403: ERROR_403,
                              404: OpenApiResponse(description="No score: the customer has no order yet.")},
                   examples=[OpenApiExample("Score", value={
                       "customer": 42, "r": 5, "f": 4, "m": 4, "label": "champions", "label_display": "Champions",
                       "recency_days": 6, "frequency": 7, "monetary": 48400, "clv_historic": 48400,
                       "last_order_at": "2026-11-24T10:12:00+09:00", "computed_at": "2026-11-30T03:00:00+09:00"})])
    def get(self, request, customer_id: int):
        score = get_object_or_404(CustomerScore, customer_id=customer_id)
        return Response(ScoreSerializer(score).data)


class ScoresRecomputeView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": "customers.recompute_scores"}

    @extend_schema(summary="Recompute every customer's RFM scores and CLV now (a background job)",
                   tags=["scores"], request=None,
                   responses={202: inline_serializer("ScoresQueued", {"queued": serializers.BooleanField()}),
                              403: ERROR_403})
    def post(self, request):
        scores.scores_recompute_queue(acting_user=request.user)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
