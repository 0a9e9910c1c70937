"""The offline pieces of a campaign, made by a job with a progress bar: a direct-mail postcard for
each recipient the campaign reached on the postcard channel (their own name, address, code and a
QR code that says whose card was scanned), a POP sign and a social card for each language.
Layout and fonts are ``campaigns.printing`` and ``campaigns.social``; this module picks what goes
on each piece and keeps the files (outside MEDIA_ROOT, ``CAMPAIGN_PRINT_DIR``)."""

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from brandkit.theme import theme
from kernel.audit import audit_record
from kernel.site import absolute_url

from . import personalisation
from .errors import CampaignError
from .links import link_for, link_url
from .models import (
    Campaign,
    CampaignMessage,
    CampaignRecipient,
    CampaignStatus,
    MessageChannel,
    PrintKind,
    PrintRun,
    PrintStatus,
    RecipientStatus,
)
from .rendering import render_text
from .services import sender_identity

logger = logging.getLogger(__name__)

KIND_CHANNEL = {PrintKind.POSTCARDS: MessageChannel.POSTCARD, PrintKind.POP: MessageChannel.POP,
                PrintKind.SOCIAL: MessageChannel.SOCIAL}
BATCH = 500
PROGRESS_EVERY = 100


def print_dir() -> Path:
    configured = getattr(settings, "CAMPAIGN_PRINT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "print"


def run_dir(run: PrintRun) -> Path:
    return print_dir() / f"campaign-{run.campaign_id}" / f"run-{run.pk}"


def run_file(run: PrintRun, index: int) -> Path | None:
    """The path of the run's ``index``-th file, or None (a name is never taken from the request)."""
    if run.status != PrintStatus.DONE or not 0 <= index < len(run.files):
        return None
    path = run_dir(run) / Path(run.files[index]).name
    return path if path.is_file() else None


@transaction.atomic
def print_run_start(*, campaign: Campaign, kind: str, acting_user) -> PrintRun:
    """Queue the making of ``kind`` for ``campaign``. Postcards go to the recipients sending
    reached (their consent to direct mail, their address), so the campaign must have been sent;
    a POP sign or a social card only needs the approved copy."""
    if kind not in PrintKind.values:
        raise CampaignError(_("Choose what to print."))
    campaign = Campaign.objects.get(pk=campaign.pk)  # its status now, not as the caller read it
    channel = KIND_CHANNEL[kind]
    if not campaign.messages.filter(channel=channel).exists():
        raise CampaignError(_("The campaign has no %(channel)s message.") % {"channel": channel.label})
    if kind == PrintKind.POSTCARDS and campaign.status not in (CampaignStatus.SENDING, CampaignStatus.FINISHED):
        raise CampaignError(_("Postcards are printed for the customers the campaign reached: start it first."))
    if campaign.status not in (CampaignStatus.APPROVED, CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                               CampaignStatus.FINISHED):
        raise CampaignError(_("Only approved copy is printed."))
    run = PrintRun.objects.create(campaign=campaign, kind=kind,
                                  requested_by=acting_user if getattr(acting_user, "is_authenticated", False)
                                  else None)
    audit_record(actor=acting_user, action="campaign_print", obj=campaign, changes={"kind": kind, "run": run.pk})
    run_id = run.pk
    transaction.on_commit(lambda: _queue(run_id))
    return run


def _queue(run_id: int) -> None:
    from django_q.tasks import async_task

    async_task("campaigns.print_runs.print_run_execute", run_id, task_name=f"campaign-print-{run_id}")


def print_run_execute(run_id: int) -> str:
    """Task: make the run's files. Safe to run again: a run that finished is left alone, one that
    stopped half-way starts its files afresh."""
    run = PrintRun.objects.select_related("campaign").get(pk=run_id)
    if run.status == PrintStatus.DONE:
        return run.status
    folder = run_dir(run)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    PrintRun.objects.filter(pk=run.pk).update(status=PrintStatus.RUNNING, done=0, error="")
    try:
        files, post_text = MAKERS[run.kind](run, folder)
    except Exception as exc:  # a visible failure on the page, never a silent one
        logger.exception("Print run %s failed", run.pk)
        PrintRun.objects.filter(pk=run.pk).update(status=PrintStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                                                  finished_at=timezone.now())
        return PrintStatus.FAILED
    PrintRun.objects.filter(pk=run.pk).update(status=PrintStatus.DONE, files=files, post_text=post_text,
                                              finished_at=timezone.now())
    return PrintStatus.DONE


def _target(campaign: Campaign, message: CampaignMessage) -> str:
    return absolute_url(message.cta_url or "/")


def _postcard_pieces(run: PrintRun, message_for) -> Iterator:
    from .abtests import batch_variants
    from .printing import PostcardPiece
    from .sending import merge_values, recipients_codes

    campaign = run.campaign
    variants = batch_variants(campaign)  # an A/B variant's customers get its offer's code
    recipients = CampaignRecipient.objects.filter(campaign=campaign, channel=MessageChannel.POSTCARD,
                                                  status=RecipientStatus.SENT).order_by("pk")
    last = 0
    while True:
        batch = list(recipients.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        contexts = personalisation.merge_contexts(customer_ids=[r.customer_id for r in batch])
        codes = recipients_codes(campaign, [r for r in batch if r.customer_id in contexts], variants)
        for recipient in batch:
            context = contexts.get(recipient.customer_id)
            if context is None:
                continue  # erased since: nothing to print
            message = message_for(context.language)
            values = merge_values(campaign, context, channel=MessageChannel.POSTCARD,
                                  offer_code=codes.get(recipient.customer_id, ""))
            link = link_for(campaign=campaign, channel=MessageChannel.POSTCARD, target=_target(campaign, message),
                            label=message.cta_label)
            yield PostcardPiece(
                name=context.address_name or context.name, postal_code=context.postal_code,
                address_lines=list(context.address_lines),
                headline=render_text(message.subject, values), body=render_text(message.body, values),
                code=values.get("offer_code") or campaign.code,
                qr_url=link_url(link, recipient_id=recipient.pk))


def _messages(campaign: Campaign, channel: str) -> dict[str, CampaignMessage]:
    return {m.language: m for m in campaign.messages.filter(channel=channel)}


def _make_postcards(run: PrintRun, folder: Path) -> tuple[list[str], str]:
    from .printing import postcards_pdf_files

    messages = _messages(run.campaign, MessageChannel.POSTCARD)
    default = messages.get(settings.LANGUAGE_CODE) or next(iter(messages.values()))

    def message_for(language: str) -> CampaignMessage:
        return messages.get(language) or default

    total = CampaignRecipient.objects.filter(campaign=run.campaign, channel=MessageChannel.POSTCARD,
                                             status=RecipientStatus.SENT).count()
    PrintRun.objects.filter(pk=run.pk).update(total=total)
    if not total:
        raise CampaignError(_("No customer could receive a postcard (direct-mail consent and a postal address)."))
    names: list[str] = []

    def open_file(index: int):
        names.append(f"postcards-{index:03d}.pdf")
        return open(folder / names[-1], "wb")  # noqa: SIM115 (closed by postcards_pdf_files)

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            PrintRun.objects.filter(pk=run.pk).update(done=done)

    sender = sender_identity()
    with translation.override(default.language):
        postcards_pdf_files(pieces=_postcard_pieces(run, message_for), theme=theme(), sender_name=sender.name,
                            sender_address=sender.address, open_file=open_file, progress=progress,
                            postage_mark=_("Postage paid"))
    PrintRun.objects.filter(pk=run.pk).update(done=total)
    return names, ""


def _shared_values(campaign: Campaign) -> dict:
    return {"brand_name": theme().brand_name, "shop_url": absolute_url("/")}


def _make_pop(run: PrintRun, folder: Path) -> tuple[list[str], str]:
    from .printing import PopPiece, pop_pdf

    campaign = run.campaign
    messages = _messages(campaign, MessageChannel.POP)
    PrintRun.objects.filter(pk=run.pk).update(total=len(messages))
    names = []
    for done, (language, message) in enumerate(sorted(messages.items()), start=1):
        values = _shared_values(campaign)
        link = link_for(campaign=campaign, channel=MessageChannel.POP, target=_target(campaign, message))
        with translation.override(language):
            valid = (_("Valid until %(date)s") % {"date": formats.date_format(
                timezone.localtime(campaign.ends_at), "DATE_FORMAT")}) if campaign.ends_at else ""
            piece = PopPiece(headline=render_text(message.subject, values), body=render_text(message.body, values),
                             price_text=render_text(message.preheader, values), valid_text=valid,
                             code=campaign.code, qr_url=link_url(link))
            name = f"pop-{language}.pdf"
            with open(folder / name, "wb") as out:
                pop_pdf(piece=piece, theme=theme(), out=out)
        names.append(name)
        PrintRun.objects.filter(pk=run.pk).update(done=done)
    return names, ""


def _make_social(run: PrintRun, folder: Path) -> tuple[list[str], str]:
    from .social import social_card_png, social_post_draft

    campaign = run.campaign
    messages = _messages(campaign, MessageChannel.SOCIAL)
    PrintRun.objects.filter(pk=run.pk).update(total=len(messages))
    names, posts = [], []
    for done, (language, message) in enumerate(sorted(messages.items()), start=1):
        values = _shared_values(campaign)
        link = link_for(campaign=campaign, channel=MessageChannel.SOCIAL, target=_target(campaign, message))
        url = link_url(link)
        with translation.override(language):
            body = render_text(message.body, values)
            png = social_card_png(headline=render_text(message.subject, values),
                                  subline=render_text(message.preheader, values) or body.splitlines()[0],
                                  theme=theme(), url=url)
            posts.append(social_post_draft(text=body, url=url,
                                           hashtags=[campaign.utm_campaign] if campaign.utm_campaign else []))
        name = f"social-{language}.png"
        (folder / name).write_bytes(png)
        names.append(name)
        PrintRun.objects.filter(pk=run.pk).update(done=done)
    return names, "\n\n".join(posts)


MAKERS = {PrintKind.POSTCARDS: _make_postcards, PrintKind.POP: _make_pop, PrintKind.SOCIAL: _make_social}
