"""SMS and LINE through HTTP providers: JSON over HTTPS with a bearer token.

Both providers are configured in ``CAMPAIGN_PROVIDERS[channel]`` as a dict (``omnishop.settings``
fills it from the environment)::

    {"class": "campaigns.providers_http.HttpSmsProvider", "url": "https://sms.example.jp/v1",
     "token": "...", "sender": "OMNISHOP", "rate_per_second": 10, "timeout": 10}

``rate_per_second`` throttles this process (``Provider.throttle``); ``timeout`` is in seconds.

**The SMS gateway shape.** Any gateway speaking it can be plugged in by URL; a gateway with
another shape gets its own small subclass overriding ``payload`` and ``transport_id``::

    POST {url}/messages
    Authorization: Bearer {token}
    Content-Type: application/json; charset=utf-8
    {"to": "+819012345678",          # E.164, Japanese mobile numbers only (sms_address)
     "from": "{sender}",             # the sender id the gateway registered for the shop
     "text": "...",                  # at most 670 characters (10 UCS-2 segments, sms_segments)
     "reference": "{recipient id}",  # echoed back in the gateway's delivery receipts
     "idempotency_key": "{message id}"}  # the same for every attempt of one message
    → 200/201/202 {"id": "gateway message id"}

The gateway reports delivery afterwards through the signed receipts webhook
(``campaigns.receipts``), naming the message by that ``id``.

**LINE** is the Messaging API's push message (``POST {url}/v2/bot/message/push``, the channel
access token as bearer). Each attempt carries ``X-Line-Retry-Key``, a UUID derived from the
message id, so LINE accepts a retried message once; a retry LINE already accepted answers 409
with ``x-line-accepted-request-id``, which counts as sent.

**Errors.** 429, 5xx, timeouts and connection errors raise ``ProviderHttpError`` with
``retryable=True`` (``retry_after``: the seconds of a ``Retry-After`` header, else None); any
other 4xx raises it with ``retryable=False`` and the provider's own message.
"""

import json
import math
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kernel.japan import normalize_phone, validate_phone

from .providers import OutgoingMessage, Provider, ProviderError

# Japanese mobile numbers (携帯電話・PHS): 070, 080 and 090, eleven digits in all.
MOBILE_PREFIXES = ("070", "080", "090")
# Japanese carriers send SMS as UCS-2: 70 characters in one message, 67 in each part of a long
# one, and at most 670 characters (ten parts) in all.
SMS_SINGLE_LENGTH = 70
SMS_PART_LENGTH = 67
SMS_MAX_LENGTH = 670
LINE_TEXT_MAX_LENGTH = 5000
# How LINE retry keys are derived from message ids (any fixed UUID: it only has to stay the same).
LINE_RETRY_NAMESPACE = uuid.UUID("5b1f1c2e-7d0a-4f0e-9a57-0c1e6f2b8d34")
ERROR_TEXT_MAX = 300


def sms_address(phone: str) -> str | None:
    """A Japanese mobile number written any way (full-width digits, hyphens, +81) in E.164
    (``+819012345678``); None for a landline, a free-dial number or anything else."""
    try:
        validate_phone(phone)
    except ValidationError:
        return None
    digits = normalize_phone(phone)
    if len(digits) != 11 or not digits.startswith(MOBILE_PREFIXES):
        return None
    return "+81" + digits[1:]


def sms_length(text: str) -> int:
    """Characters as UCS-2 counts them (a character outside the BMP, an emoji, takes two)."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS messages ``text`` is sent as (UCS-2: 70 characters alone, 67 per part)."""
    length = sms_length(text)
    if length <= SMS_SINGLE_LENGTH:
        return 1
    return math.ceil(length / SMS_PART_LENGTH)


def line_retry_key(message_id: str) -> str:
    """The ``X-Line-Retry-Key`` of every attempt of one message."""
    return str(uuid.uuid5(LINE_RETRY_NAMESPACE, message_id))


# Backoff of a retryable failure (provider_retry_delay): 30 s, 1, 2, 4 min... at most one hour,
# and after MAX_SEND_ATTEMPTS attempts the recipient ends failed, with the last error shown.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
MAX_SEND_ATTEMPTS = 5


def provider_retry_delay(*, attempt: int, error: ProviderError) -> float | None:
    """Seconds to wait before trying again after ``attempt`` (1 = the first) failed with
    ``error``; None: give up now (not retryable, or the attempts are used up) and record the
    failure. A provider's ``Retry-After`` is honoured when it asks for longer."""
    if not error.retryable or attempt >= MAX_SEND_ATTEMPTS:
        return None
    delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (max(attempt, 1) - 1))
    asked = getattr(error, "retry_after", None)
    return float(max(delay, min(asked, RETRY_MAX_SECONDS) if asked else 0))


class ProviderHttpError(ProviderError):
    """An HTTP provider refused the message or could not be reached. ``status``: the HTTP status
    (None when no answer came); ``retry_after``: the seconds the provider asked to wait."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message, retryable=retryable)
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) in seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _provider_message(raw: bytes) -> str:
    """The provider's own explanation in an error body (JSON ``message``/``error``, or the text)."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:ERROR_TEXT_MAX]
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if value:
                details = body.get("details")
                if isinstance(details, list) and details:
                    value = f"{value} {json.dumps(details, ensure_ascii=False)}"
                return str(value)[:ERROR_TEXT_MAX]
    return text[:ERROR_TEXT_MAX]


class HttpJsonProvider(Provider):
    """The shared HTTP part: POST a JSON body with the bearer token, map the answer."""

    default_url = ""
    default_timeout = 10.0

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        self.url = str(self.options.get("url") or self.default_url).rstrip("/")
        self.token = self.options.get("token", "")
        self.timeout = float(self.options.get("timeout") or self.default_timeout)

    def post(self, path: str, payload: dict, *, headers: dict | None = None) -> tuple[int, Message, bytes]:
        """POST ``payload``; return (status, headers, body) of a 2xx answer, else raise."""
        if not self.url.startswith(("https://", "http://")):
            raise ProviderHttpError(_("The %(provider)s provider has no http(s) URL (setting CAMPAIGN_PROVIDERS).")
                                    % {"provider": self.name}, retryable=False)
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url + path, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                     "Authorization": f"Bearer {self.token}", "User-Agent": "Omnishop", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (checked above)
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                raw = exc.read()
            return self.refused(exc.code, exc.headers, raw)
        except TimeoutError as exc:
            raise ProviderHttpError(_("The %(provider)s provider did not answer within %(seconds)s seconds.")
                                    % {"provider": self.name, "seconds": f"{self.timeout:g}"},
                                    retryable=True) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProviderHttpError(_("The %(provider)s provider could not be reached: %(reason)s")
                                    % {"provider": self.name, "reason": reason}, retryable=True) from exc

    def refused(self, status: int, headers: Message, raw: bytes):
        """Raise the error a non-2xx answer means (a subclass may accept some, and return)."""
        said = _provider_message(raw)
        if status == 429 or status >= 500:
            message = (_("The %(provider)s provider is throttling (HTTP %(status)s): %(said)s") if status == 429
                       else _("The %(provider)s provider failed (HTTP %(status)s): %(said)s"))
            raise ProviderHttpError(message % {"provider": self.name, "status": status, "said": said},
                                    retryable=True, status=status,
                                    retry_after=retry_after_seconds(headers.get("Retry-After")))
        raise ProviderHttpError(_("The %(provider)s provider refused the message (HTTP %(status)s): %(said)s")
                                % {"provider": self.name, "status": status, "said": said},
                                retryable=False, status=status)

    @staticmethod
    def json_body(raw: bytes) -> dict:
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}


class HttpSmsProvider(HttpJsonProvider):
    """SMS through a gateway speaking the shape in this module's docstring."""

    name = "sms"
    retry_safe = True  # the gateway drops a repeat of an idempotency key (kernel.deliveries: sent again safely)

    def payload(self, message: OutgoingMessage, to: str) -> dict:
        return {"to": to, "from": self.options.get("sender", ""), "text": message.text,
                "reference": message.reference, "idempotency_key": message.message_id}

    def transport_id(self, headers: Message, raw: bytes) -> str:
        return str(self.json_body(raw).get("id") or "")

    def send(self, message: OutgoingMessage) -> str:
        to = sms_address(message.to)
        if to is None:
            raise ProviderHttpError(_("%(number)s is not a Japanese mobile number.") % {"number": message.to},
                                    retryable=False)
        if sms_length(message.text) > SMS_MAX_LENGTH:
            raise ProviderHttpError(_("The SMS is %(length)s characters long; at most %(limit)s can be sent.")
                                    % {"length": sms_length(message.text), "limit": SMS_MAX_LENGTH},
                                    retryable=False)
        self.throttle()
        _status, headers, raw = self.post("/messages", self.payload(message, to))
        transport_id = self.transport_id(headers, raw)
        if not transport_id:
            raise ProviderHttpError(_("The SMS gateway accepted the message without giving its id."),
                                    retryable=False)
        return transport_id


class LineProvider(HttpJsonProvider):
    """LINE Messaging API push messages to a LINE user id (the customer's LINE identity)."""

    name = "line"
    default_url = "https://api.line.me"
    retry_safe = True  # X-Line-Retry-Key: LINE drops a repeat (kernel.deliveries: sent again safely)

    def send(self, message: OutgoingMessage) -> str:
        if not message.to.strip():
            raise ProviderHttpError(_("The customer has no LINE user id."), retryable=False)
        if len(message.text) > LINE_TEXT_MAX_LENGTH:
            raise ProviderHttpError(_("The LINE message is %(length)s characters long; at most %(limit)s "
                                      "can be sent.") % {"length": len(message.text),
                                                          "limit": LINE_TEXT_MAX_LENGTH}, retryable=False)
        headers = {}
        if message.message_id:
            headers["X-Line-Retry-Key"] = line_retry_key(message.message_id)
        self.throttle()
        payload = {"to": message.to.strip(), "messages": [{"type": "text", "text": message.text}]}
        _status, answer_headers, raw = self.post("/v2/bot/message/push", payload, headers=headers)
        return self.transport_id(answer_headers, raw)

    def refused(self, status: int, headers: Message, raw: bytes):
        accepted = headers.get("x-line-accepted-request-id")
        if status == 409 and accepted:  # this retry key was accepted before: the message went
            return status, headers, json.dumps({"acceptedRequestId": accepted}).encode()
        return super().refused(status, headers, raw)

    def transport_id(self, headers: Message, raw: bytes) -> str:
        """The request id LINE gave the push (the same one a later 409 names as accepted), else
        the sent message's id from the body."""
        body = self.json_body(raw)
        if body.get("acceptedRequestId"):
            return str(body["acceptedRequestId"])
        if headers.get("x-line-request-id"):
            return str(headers["x-line-request-id"])
        sent = body.get("sentMessages")
        if isinstance(sent, list) and sent and isinstance(sent[0], dict) and sent[0].get("id"):
            return str(sent[0]["id"])
        return ""
