"""The REST API's shared machinery: error bodies, domain-error mapping, permissions built
on ``kernel.roles``, pagination, token login and ``Idempotency-Key`` handling.

Every error leaves the API in one shape::

    {"code": "invalid", "detail": "...", "errors": {"lines.0.quantity": ["..."]}}

``errors`` (field path -> messages) appears on 400s; ``lines`` (per-line stock detail)
on the 409 for short stock. Domain errors are mapped here, once.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import django_filters
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import roles
from .db import retry_on_conflict
from .errors import DomainError
from .models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
# How long a stored answer is replayed; older records are purged daily (kernel.tasks).
IDEMPOTENCY_RETENTION = timedelta(hours=24)
IDEMPOTENCY_PURGE_BATCH = 1000
NON_FIELD = "non_field_errors"


# --- error bodies ----------------------------------------------------------------------

def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"lines.0.quantity": ["..."], "fulfillment": ["..."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("__all__", NON_FIELD):  # errors of the object itself belong to its own path
                base = prefix or NON_FIELD
            else:
                base = f"{prefix}.{key}" if prefix else str(key)
            for path, messages in flatten_errors(value, base).items():
                flat.setdefault(path, []).extend(messages)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            flat.setdefault(prefix or NON_FIELD, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, [], None, ""):
                    continue
                path = f"{prefix}.{index}" if prefix else str(index)
                if isinstance(item, dict | list | tuple):
                    for sub, messages in flatten_errors(item, path).items():
                        flat.setdefault(sub, []).extend(messages)
                else:
                    flat.setdefault(prefix or NON_FIELD, []).append(str(item))
    elif detail is not None:
        flat.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return flat


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {NON_FIELD if key == "__all__" else key: list(messages) for key, messages in exc.message_dict.items()}
    return {NON_FIELD: list(exc.messages)}


def _body(code: str, detail: str, **extra) -> dict:
    return {"code": code, "detail": detail, **extra}


def invalid_response(errors: dict[str, list[str]]) -> Response:
    return Response(_body("invalid", _("The request has invalid fields."), errors=errors),
                    status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    """Map every error to one JSON shape; domain errors are mapped here and nowhere else."""
    if isinstance(exc, DomainError):  # each app's errors carry their own code, status and body fields
        return Response(_body(exc.code, str(exc.detail()), **exc.payload()), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        return invalid_response(_django_validation_errors(exc))
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django report it
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("invalid", _("The request has invalid fields."), errors=flatten_errors(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = _body("parse_error", str(exc.detail), errors={"body": [str(exc.detail)]})
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.default_code
        if isinstance(detail, exceptions.ErrorDetail):
            code = detail.code or code
        response.data = _body(str(code), str(detail) if not isinstance(detail, dict | list) else str(exc.default_detail))
    return response


# --- schema components for the error bodies ---------------------------------------------

class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("Machine-readable error code, e.g. invalid, not_found."))
    detail = serializers.CharField()


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy('Messages per field path, e.g. {"lines.0.quantity": ["..."]}.'),
    )


class ShortLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField()
    requested = serializers.IntegerField()
    available = serializers.IntegerField()


class OutOfStockSerializer(ErrorSerializer):
    lines = ShortLineSerializer(many=True)


ERROR_400 = OpenApiResponse(ValidationErrorSerializer, description="Invalid input: messages per field path.")
ERROR_403 = OpenApiResponse(ErrorSerializer, description="Not allowed for this user or location.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="Not found (or outside the user's scope).")
ERROR_409 = OpenApiResponse(ErrorSerializer, description="Conflicts with the current state.")
ERROR_409_STOCK = OpenApiResponse(OutOfStockSerializer, description="Not enough stock; per-line detail.")
ERROR_422 = OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with a different body.")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Repeat a request safely: the same key and body give the stored answer again; "
                "the same key with another body gives 422. Only successful answers are stored, for "
                f"{IDEMPOTENCY_RETENTION // timedelta(hours=1)} hours; after an error the same key may be retried.",
)


# --- permissions ------------------------------------------------------------------------

class ActionPermission(BasePermission):
    """Checks ``view.action_permissions[action]`` (a Django permission, a tuple of them
    meaning any-of, or None for any authenticated user). Actions not listed are refused.
    Location scope is applied by the views' querysets and ``roles.require_location``."""

    message = gettext_lazy("You do not have permission to do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        table = getattr(view, "action_permissions", {})
        action = getattr(view, "action", None) or request.method.lower()
        if action not in table:
            return False
        needed = table[action]
        if needed is None:
            return True
        if isinstance(needed, str):
            needed = (needed,)
        return any(user.has_perm(name) for name in needed)


def is_customer_account(user) -> bool:
    """A storefront account (no console role) with its customer record."""
    return (user.is_authenticated and not roles.is_console_user(user)
            and getattr(user, "customer", None) is not None)


# --- filters ---------------------------------------------------------------------------

class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date and time, handed on in UTC. The offset must be one a real time zone
    uses (-12:00 to +14:00): PostgreSQL refused offsets beyond ±15:59 with a database error
    (500). Dates that fall outside the calendar once converted to UTC are refused too."""

    MIN_OFFSET = timedelta(hours=-12)
    MAX_OFFSET = timedelta(hours=14)
    default_error_messages = {
        "offset": gettext_lazy("Use a UTC offset between -12:00 and +14:00, e.g. 2025-04-01T09:00:00+09:00."),
        "out_of_range": gettext_lazy("This date and time is out of range."),
    }

    def to_python(self, value):
        result = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and not self.MIN_OFFSET <= offset <= self.MAX_OFFSET:
            raise DjangoValidationError(self.error_messages["offset"], code="offset")
        try:
            return result.astimezone(UTC)
        except OverflowError:
            raise DjangoValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """The API's date-time filter: ISO 8601, checked and converted by ``UtcIsoDateTimeField``."""

    field_class = UtcIsoDateTimeField


# --- pagination -------------------------------------------------------------------------

class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- token login ------------------------------------------------------------------------

class EmailAuthTokenSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        # Django's own request, not DRF's wrapper: the failed-login lockout (kernel.lockout)
        # marks it, and its middleware then answers 429 instead of this view's 400.
        request = getattr(self.context.get("request"), "_request", None)
        user = authenticate(request, email=attrs["email"].strip().lower(), password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(_("Unable to log in with these credentials."), code="authorization")
        attrs["user"] = user
        return attrs


class TokenObtainView(ObtainAuthToken):
    """Exchange email + password for an API token (send it as ``Authorization: Token <key>``)."""

    serializer_class = EmailAuthTokenSerializer
    parser_classes = APIView.parser_classes  # the project's parsers (ObtainAuthToken pins DRF's own)

    @extend_schema(
        operation_id="auth_token_create",
        request=EmailAuthTokenSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}), 400: ERROR_400,
                   429: OpenApiResponse(ErrorSerializer, description=(
                       "Too many failed logins for this account or from this address (code locked_out); "
                       "retry after the number of seconds in Retry-After."))},
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


# --- idempotency ------------------------------------------------------------------------

def request_fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@retry_on_conflict  # the record and the handler's writes are one transaction: retried together
def idempotent(request, *, endpoint: str, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per (user, endpoint, Idempotency-Key).

    The record is inserted first, inside the same transaction as the handler's writes, so
    the unique constraint makes a concurrent duplicate wait and then replay the stored
    answer instead of creating a second order. Only successful answers are stored: when the
    handler raises (bad input, short stock) the record rolls back with everything else and
    the client may retry with the same key.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return handler()
    if len(key) > 255:
        return invalid_response({IDEMPOTENCY_HEADER: [_("At most 255 characters.")]})
    fingerprint = request_fingerprint(request.data)
    lookup = {"user": request.user, "endpoint": endpoint, "key": key}
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(request_hash=fingerprint, **lookup)
        except IntegrityError:
            record = None
        if record is None:
            return _replay(IdempotencyRecord.objects.get(**lookup), fingerprint)
        response = handler()
        record.status_code = response.status_code
        record.response_body = json.loads(json.dumps(response.data, default=str))
        record.save(update_fields=["status_code", "response_body"])
    return response


def idempotency_records_purge(*, now: datetime | None = None, batch_size: int = IDEMPOTENCY_PURGE_BATCH) -> int:
    """Delete the records older than IDEMPOTENCY_RETENTION; returns how many went.

    Deletes in short batches (each its own transaction, so writers are not held up and a
    worker that dies keeps what it already deleted); running it again just finds less to do.
    """
    cutoff = (now or timezone.now()) - IDEMPOTENCY_RETENTION
    expired = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    deleted = 0
    while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        return Response(_body("idempotency_key_reused",
                              _("This Idempotency-Key was already used with a different request body.")),
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if record.status_code is None:  # cannot normally be seen: the record commits with its answer
        return Response(_body("idempotency_in_progress", _("The first request with this key is still running.")),
                        status=status.HTTP_409_CONFLICT)
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
