"""One interface for every transport a campaign sends through.

A provider takes an ``OutgoingMessage`` and returns the id the transport knows it by (an email's
Message-ID, an SMS gateway's message id); the delivery ledger keeps that id, and the provider's
delivery receipts (campaigns.receipts) find the recipient by it. A provider raises
``ProviderError`` when the transport refused the message: ``retryable`` says whether trying again
later may work (a timeout, a 5xx, throttling) or not (an invalid number).

Which provider serves which channel is configuration (``CAMPAIGN_PROVIDERS``: channel → dotted
path of a class); email defaults to Django's email backend (SMTP in production, tested against a
real SMTP server on loopback). A batch opens the provider once (``open``/``close``: one SMTP
connection for a batch of messages) and throttles to the provider's rate (``rate_per_second``).
"""

import contextlib
import smtplib
import socket
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mailers
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .mime import CampaignEmail


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    text: str
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    reference: str = ""  # the campaign recipient's id, echoed back in receipts where a provider allows


class ProviderError(Exception):
    """The transport refused the message. ``retryable``: a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool = True, hard_bounce: bool = False, retry_after: int = 0):
        super().__init__(message)
        self.retryable = retryable
        self.hard_bounce = hard_bounce  # the address does not exist: suppress it
        self.retry_after = retry_after  # seconds the transport asked us to wait


class ProviderNotConfigured(ProviderError):
    def __init__(self, channel: str):
        super().__init__(_("No provider is configured for %(channel)s (setting CAMPAIGN_PROVIDERS).")
                         % {"channel": channel}, retryable=False)


class Provider:
    """Base class: subclasses set ``name`` and implement ``send``."""

    name = "provider"
    rate_per_second: float | None = None  # None: as fast as the transport takes them

    def __init__(self, options: dict | None = None):
        self.options = options or {}
        self.rate_per_second = self.options.get("rate_per_second", self.rate_per_second)
        self._throttle = Throttle(self.rate_per_second)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, message: OutgoingMessage) -> str:
        raise NotImplementedError

    def throttle(self) -> None:
        self._throttle.wait()


class Throttle:
    """At most ``rate`` calls a second from this process (a token bucket of one second)."""

    def __init__(self, rate: float | None):
        self.rate = rate
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            time.sleep(start - now)


class EmailProvider(Provider):
    """Django's default mailer (``EMAIL_BACKEND``): one connection per batch.

    Over SMTP it sends in two phases (``two_phase``): MAIL, RCPT and the whole message are
    transmitted, then ``commit()`` is called (the delivery ledger records the point of no return),
    and only then the final "." that makes the relay accept it. A worker killed before that point
    left nothing at the relay (an unfinished DATA is discarded when the connection drops), so the
    ledger sends the message again; only a death within the relay's last reply stays unknown."""

    name = "email"
    two_phase = True

    def open(self) -> None:
        self.connection = mailers.default  # a new connection of the default mailer (EMAIL_BACKEND)
        self.connection.open()

    def close(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None:
            try:
                connection.close()
            finally:
                self.connection = None

    def send(self, message: OutgoingMessage, commit=None) -> str:
        self.throttle()
        email = CampaignEmail(subject=message.subject, body=message.text, to=[message.to],
                              headers={**message.headers, "Message-ID": message.message_id},
                              connection=getattr(self, "connection", None))
        if message.html:
            email.attach_alternative(message.html, "text/html")
        smtp = getattr(getattr(self, "connection", None), "connection", None)
        if commit is not None and isinstance(smtp, smtplib.SMTP):
            return self._send_two_phase(smtp, email, message, commit)
        if commit is not None:
            commit()  # a backend that writes at once (a file, the console, memory): its write is the commit
        try:
            sent = email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _reply in exc.recipients.values()]
            detail = "; ".join(f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                               for code, reply in exc.recipients.values())
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise ProviderError(detail, retryable=not permanent, hard_bounce=permanent) from exc
        except OSError as exc:  # smtplib's errors are OSErrors: the relay is down or refused
            raise ProviderError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if not sent:
            raise ProviderError(_("The email backend did not accept the message."), retryable=True)
        return message.message_id


    def _send_two_phase(self, smtp: smtplib.SMTP, email: CampaignEmail, message: OutgoingMessage,
                        commit) -> str:
        """SMTP's own transaction, stopped before the final "." until ``commit()`` returns."""
        backend = self.connection
        _no_delay(smtp)
        sender = backend.prep_address(email.from_email)
        recipients = [backend.prep_address(address) for address in email.recipients()]
        data = email.raw()  # campaigns.mime: the message in one pass, not through the email package
        try:
            smtp.ehlo_or_helo_if_needed()
            options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
            if smtp.does_esmtp and smtp.has_extn("pipelining"):
                self._envelope_pipelined(smtp, sender, recipients, options)
            else:
                self._envelope(smtp, sender, recipients, options)
            body = smtplib._quote_periods(data)  # noqa: SLF001 (what smtplib.SMTP.data() does)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            smtp.send(body)
            commit()  # the ledger records the point of no return before the relay is asked to accept
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset(smtp)
            codes = [code for code, _reply in exc.recipients.values()]
            detail = "; ".join(f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                               for code, reply in exc.recipients.values())
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise ProviderError(detail, retryable=not permanent, hard_bounce=permanent) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._reset(smtp)
            raise ProviderError(f"{exc.smtp_code} {exc.smtp_error!r}", retryable=exc.smtp_code < 500) from exc
        except OSError as exc:  # the relay went away: a new connection for the next message
            backend.close()
            backend.open()
            raise ProviderError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except BaseException:
            self._reset(smtp)
            raise
        return message.message_id

    @staticmethod
    def _envelope(smtp: smtplib.SMTP, sender: str, recipients: list[str], options: list[str]) -> None:
        """MAIL, RCPT and DATA one at a time, each waiting for its reply."""
        code, reply = smtp.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused = {}
        for recipient in recipients:
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)

    @staticmethod
    def _envelope_pipelined(smtp: smtplib.SMTP, sender: str, recipients: list[str], options: list[str]) -> None:
        """MAIL, RCPT and DATA sent together, then their replies read in order (RFC 2920, for a
        relay that announces PIPELINING): one round trip instead of three. A relay that answers
        DATA with 354 although the sender or every recipient was refused gets an empty message
        ended at once, which it must not deliver (RFC 2920 3.1), before the refusal is raised."""
        option_list = (" " + " ".join(options)) if options else ""
        commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)}{option_list}"]
        commands += [f"RCPT TO:{smtplib.quoteaddr(recipient)}" for recipient in recipients]
        commands.append("DATA")
        smtp.send(("\r\n".join(commands) + "\r\n").encode("ascii"))
        mail_code, mail_reply = smtp.getreply()
        refused = {}
        for recipient in recipients:
            code, reply = smtp.getreply()
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        data_code, data_reply = smtp.getreply()
        failed = mail_code != 250 or refused
        if failed and data_code == 354:
            smtp.send(b".\r\n")
            smtp.getreply()
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        if data_code != 354:
            raise smtplib.SMTPDataError(data_code, data_reply)

    @staticmethod
    def _reset(smtp: smtplib.SMTP) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.rset()


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Send each write at once (TCP_NODELAY). The final "." of DATA is a small write right after
    the message: with Nagle's algorithm it waits for the relay to acknowledge the message, which a
    relay delays (delayed ACK, 40 ms on Linux) because it has nothing to say until the ".": one
    stall of 40 ms an email, whatever the CPU. Mail clients and relays turn Nagle off for SMTP."""
    sock = getattr(smtp, "sock", None)
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class FileTextProvider(Provider):
    """Development's SMS and LINE: each message appended as a JSON line to ``<file_path>/<channel>.log``
    (``var/sms/`` in dev), as the file mailer keeps emails in ``var/mail/``: the demo's fallbacks
    and reminders can be read without a gateway. Never configured in production."""

    name = "file"

    def send(self, message: OutgoingMessage) -> str:
        import json
        from pathlib import Path

        folder = Path(self.options.get("file_path", "var/sms"))
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{message.channel}.log", "a", encoding="utf-8") as out:
            out.write(json.dumps({"to": message.to, "text": message.text, "id": message.message_id},
                                 ensure_ascii=False) + "\n")
        return message.message_id


DEFAULT_PROVIDERS = {"email": "campaigns.providers.EmailProvider"}


def provider_for(channel: str) -> Provider:
    """A new provider for ``channel`` as configured (``CAMPAIGN_PROVIDERS[channel]`` is a dotted
    path, or a dict ``{"class": path, **options}``)."""
    configured = {**DEFAULT_PROVIDERS, **getattr(settings, "CAMPAIGN_PROVIDERS", {})}
    spec = configured.get(channel)
    if not spec:
        raise ProviderNotConfigured(channel)
    options = {}
    if isinstance(spec, dict):
        options = {key: value for key, value in spec.items() if key != "class"}
        spec = spec["class"]
    return import_string(spec)(options)
