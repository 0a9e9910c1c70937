"""A campaign email as the bytes that go over SMTP, built directly.

Python's ``email`` package (which Django's ``EmailMessage.message()`` uses) parses and refolds
every header through its header registry: about 2–3 ms of CPU a message, more than rendering the
message itself, and a campaign sends hundreds of thousands. A campaign email always has the same
shape (multipart/alternative: a UTF-8 text part and a UTF-8 HTML part, a dozen headers), so it is
written here in one pass: headers with non-ASCII text as RFC 2047 encoded words (``email.header``,
UTF-8, base64, folded), bodies as base64 in 76-character lines, CRLF line ends.

``CampaignEmail`` is the Django message the provider sends: over SMTP its bytes go to the relay
as they are (campaigns.providers, two-phase); any other backend (the console, a file, memory in
tests) gets the same bytes parsed back, so every backend sees one message.
"""

import base64
import email
import email.policy
import secrets
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

CRLF = "\r\n"


def _header(name: str, value: str) -> str:
    """``Name: value`` folded, non-ASCII as encoded words."""
    if value.isascii():  # short, or an unbreakable value (a URL) that may be up to 998 characters
        return f"{name}: {value}"
    return f"{name}: " + Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep=CRLF)


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def _part(content_type: str, text: str) -> str:
    data = text.replace("\r\n", "\n").replace("\n", CRLF)
    if not data.endswith(CRLF):
        data += CRLF  # as the email package writes a body
    if data.isascii() and max((len(line) for line in data.split(CRLF)), default=0) <= 998:
        return f'Content-Type: {content_type}; charset="utf-8"{CRLF}Content-Transfer-Encoding: 7bit{CRLF}{CRLF}{data}'
    encoded = base64.encodebytes(data.encode()).decode("ascii").replace("\n", CRLF)
    return (f'Content-Type: {content_type}; charset="utf-8"{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}'
            f"{encoded}")


def email_bytes(*, from_email: str, to: str, subject: str, text: str, html: str = "",
                headers: dict[str, str] | None = None, message_id: str = "", date: str = "") -> bytes:
    lines = [
        _header("From", _address(from_email)),
        _header("To", _address(to)),
        _header("Subject", subject),
        _header("Date", date or formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        _header("Message-ID", message_id or email.utils.make_msgid()),
        "MIME-Version: 1.0",
    ]
    lines += [_header(name, value) for name, value in (headers or {}).items()
              if name.lower() not in ("from", "to", "subject", "date", "message-id", "mime-version")]
    if not html:
        return (CRLF.join(lines) + CRLF + _part("text/plain", text) + CRLF).encode("ascii")
    boundary = f"=_{secrets.token_hex(16)}"
    lines.append(f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"')
    body = (f"--{boundary}{CRLF}{_part('text/plain', text)}{CRLF}"
            f"--{boundary}{CRLF}{_part('text/html', html)}{CRLF}"
            f"--{boundary}--{CRLF}")
    return (CRLF.join(lines) + CRLF + CRLF + body).encode("ascii")


class CampaignEmail(EmailMultiAlternatives):
    """A Django email whose bytes ``email_bytes`` writes. ``raw()`` is what goes to an SMTP relay;
    ``message()`` parses the same bytes for the backends that want a message object."""

    def raw(self) -> bytes:
        if getattr(self, "_raw", None) is None:
            html = next((content for content, mimetype in self.alternatives if mimetype == "text/html"), "")
            headers = dict(self.extra_headers)
            self._raw = email_bytes(from_email=self.from_email or settings.DEFAULT_FROM_EMAIL, to=self.to[0],
                                    subject=self.subject, text=self.body, html=html, headers=headers,
                                    message_id=headers.get("Message-ID", ""))
        return self._raw

    def message(self, *, policy=email.policy.default):
        return email.message_from_bytes(self.raw(), policy=policy)
