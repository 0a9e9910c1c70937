"""The delivery receipts webhook: ``POST /webhooks/receipts/<provider>/``.

Providers (an SMS gateway, LINE's relay, an SMTP relay for email) post their events here,
signed (``X-Omnishop-Timestamp``, ``X-Omnishop-Signature``: campaigns.receipts). No session,
no CSRF token: the signature is the authentication. Answers JSON in the API's error shape:

* 200 ``{"recorded": n, "duplicates": n, "unmatched": n}``;
* 400 ``{"code": "invalid", "detail": "...", "errors": {"events.0.type": ["..."]}}``;
* 401 ``{"code": "receipt_refused", "detail": "...", "reason": "stale"}`` (reason:
  unknown_provider, missing_signature, bad_timestamp, stale or bad_signature)."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kernel.errors import DomainError

from ..receipts import ReceiptsInvalid, receipt_verify, receipts_record

TIMESTAMP_HEADER = "X-Omnishop-Timestamp"
SIGNATURE_HEADER = "X-Omnishop-Signature"


def _error(exc: DomainError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "detail": exc.detail(), **exc.payload()}, status=exc.http_status)


@csrf_exempt
@require_POST
def receipts_webhook(request, provider: str):
    body = request.body
    try:
        receipt_verify(provider=provider, timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                       signature=request.headers.get(SIGNATURE_HEADER, ""), body=body)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ReceiptsInvalid({"body": [_("The body is not JSON.")]}) from None
        if not isinstance(payload, dict) or "events" not in payload:
            raise ReceiptsInvalid({"events": [_("This field is required.")]})
        outcome = receipts_record(provider=provider, events=payload["events"])
    except DomainError as exc:
        return _error(exc)
    return JsonResponse({"recorded": outcome.recorded, "duplicates": outcome.duplicates,
                         "unmatched": outcome.unmatched})
