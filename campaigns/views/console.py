"""Console pages of campaigns (HQ marketers and administrators): list, builder, messages with a
live preview, approval, sending with a live progress bar, results."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from customers.models import Segment
from kernel.console import console_view, paginate

from .. import personalisation, selectors, services
from ..errors import CampaignError, CampaignInvalid, CampaignNotReady
from ..forms import CampaignForm, MessageForm, NewMessageForm, OverrideForm, SendingPolicyForm
from ..models import (
    LIVE_STATUSES,
    Campaign,
    CampaignMessage,
    CampaignStatus,
    MessageChannel,
    PrintKind,
    PrintRun,
)
from ..rendering import MERGE_FIELDS
from ..results import campaign_chart, campaign_results
from ..sending import campaign_progress, campaign_test_send, render_message, sample_offer_code


def _form_errors(form, exc: CampaignInvalid) -> None:
    for field, errors in exc.errors.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@console_view("campaigns.view_campaign")
def campaign_list(request):
    status = request.GET.get("status", "")
    campaigns = selectors.campaigns_listed()
    if status in CampaignStatus.values:
        campaigns = campaigns.filter(status=status)
    page = paginate(request, campaigns, per_page=25)
    return render(request, "campaigns/console/campaign_list.html", {
        "page": page, "status": status, "statuses": CampaignStatus.choices,
        "can_add": request.user.has_perm("campaigns.add_campaign"),
        "can_policy": request.user.has_perm("campaigns.change_sendingpolicy"),
    })


def _campaign_form_save(request, form, campaign: Campaign | None):
    data = form.cleaned_data
    fields = {name: data[name] for name in CampaignForm.FIELDS}
    fields["utm_campaign"] = fields["utm_campaign"] or ""
    if campaign is None:
        return services.campaign_create(acting_user=request.user, segments=data["segments"],
                                        excluded_segments=data["excluded_segments"], **fields)
    return services.campaign_update(campaign=campaign, acting_user=request.user, segments=data["segments"],
                                    excluded_segments=data["excluded_segments"], **fields)


def _campaign_form_page(request, campaign: Campaign | None):
    if request.method == "POST":
        form = CampaignForm(request.POST) if campaign is None else CampaignForm.for_campaign(campaign, request.POST)
        if form.is_valid():
            try:
                saved = _campaign_form_save(request, form, campaign)
            except CampaignInvalid as exc:
                _form_errors(form, exc)
            except CampaignError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Campaign saved."))
                return redirect(saved.get_absolute_url())
    else:
        form = CampaignForm() if campaign is None else CampaignForm.for_campaign(campaign)
    return render(request, "campaigns/console/campaign_form.html", {"form": form, "campaign": campaign})


@console_view("campaigns.add_campaign")
def campaign_create(request):
    return _campaign_form_page(request, None)


@console_view("campaigns.change_campaign")
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not campaign.is_editable:
        messages.error(request, _("A campaign that was approved cannot be edited any more; cancel it and copy it."))
        return redirect(campaign.get_absolute_url())
    return _campaign_form_page(request, campaign)


@console_view("campaigns.view_campaign")
@require_POST
def audience_count(request):
    """The builder's live count (htmx): the audience of the segments ticked, before saving."""
    ids = [int(v) for v in request.POST.getlist("segments") if v.isdigit()]
    excluded = [int(v) for v in request.POST.getlist("excluded_segments") if v.isdigit()]
    segments = list(Segment.objects.filter(pk__in=ids))
    count = services.audience_of(segments, list(Segment.objects.filter(pk__in=excluded))).count()
    return render(request, "campaigns/console/campaign_form.html#audience-count", {"count": count,
                                                                                   "counted": bool(segments)})


def _detail_context(request, campaign: Campaign) -> dict:
    user = request.user
    campaign_messages = list(campaign.messages.all())
    lint = []
    for message in campaign_messages:
        ok, violations = services.message_lint(message)
        lint.append((message, ok, violations))
    is_author = campaign.created_by_id == user.pk
    from .abtest import abtest_context

    return abtest_context(request, campaign) | {
        "campaign": campaign,
        "lint": lint,
        "problems": services.campaign_problems(campaign, lint={m.pk: (ok, v) for m, ok, v in lint}) if campaign.status in (
            CampaignStatus.DRAFT, CampaignStatus.PENDING_APPROVAL, CampaignStatus.APPROVED) else [],
        "any_blocked": any(not ok for _m, ok, _v in lint),
        "audience": selectors.audience_estimate(campaign),
        "progress": campaign_progress(campaign),
        "skipped": selectors.skipped_by_reason(campaign),
        "failures": selectors.failures(campaign),
        "new_message_form": NewMessageForm(),
        "override_form": OverrideForm(initial={"reason": campaign.lint_override_reason}),
        "is_live": campaign.status in LIVE_STATUSES,
        "can_edit": campaign.is_editable and user.has_perm("campaigns.change_campaign"),
        "can_submit": campaign.status == CampaignStatus.DRAFT and user.has_perm("campaigns.change_campaign"),
        "can_approve": campaign.status == CampaignStatus.PENDING_APPROVAL and not is_author and user.has_perm(
            "campaigns.approve_campaign"),
        "is_author": is_author,
        "can_start": campaign.status == CampaignStatus.APPROVED and user.has_perm("campaigns.send_campaign"),
        "can_cancel": campaign.status not in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED) and user.has_perm(
            "campaigns.send_campaign"),
        "samples": selectors.sample_customers(campaign),
        "results": campaign_results(campaign) if campaign.started_at else None,
        "chart": campaign_chart(campaign) if campaign.started_at else None,
        "can_print": user.has_perm("campaigns.change_campaign"),
        "print_runs": list(campaign.print_runs.select_related("requested_by")[:10]),
        "print_kinds": [(kind, label) for kind, label in PrintKind.choices if _has_channel(
            campaign_messages, kind)],
    }


PRINT_CHANNELS = {PrintKind.POSTCARDS: MessageChannel.POSTCARD, PrintKind.POP: MessageChannel.POP,
                  PrintKind.SOCIAL: MessageChannel.SOCIAL}


def _has_channel(campaign_messages, kind: str) -> bool:
    return any(m.channel == PRINT_CHANNELS[kind] for m in campaign_messages)


@console_view("campaigns.view_campaign")
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related(
        "created_by", "approved_by", "cancelled_by", "lint_override_by"), pk=pk)
    step = campaign.journey_step_or_none
    if step is not None:  # a journey's message lives on the journey's page
        return redirect(reverse("console:journey_detail", kwargs={"pk": step.journey_id}) + f"#step-{step.pk}")
    return render(request, "campaigns/console/campaign_detail.html", _detail_context(request, campaign))


@console_view("campaigns.view_campaign")
def campaign_progress_view(request, pk: int):
    """The progress card alone, polled by htmx while the campaign sends."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, "campaigns/console/campaign_detail.html#progress", {
        "campaign": campaign, "progress": campaign_progress(campaign), "is_live": campaign.status in LIVE_STATUSES,
        "skipped": selectors.skipped_by_reason(campaign)})


# (lazy: said in the language of the request that does it)
ACTIONS = {
    "submit": ("campaigns.change_campaign", services.campaign_submit, gettext_lazy("Sent for approval.")),
    "approve": ("campaigns.approve_campaign", services.campaign_approve, gettext_lazy("Approved: it can be started now.")),
    "reject": ("campaigns.approve_campaign", services.campaign_reject, gettext_lazy("Sent back to its author.")),
    "start": ("campaigns.send_campaign", services.campaign_start, gettext_lazy("Started.")),
    "cancel": ("campaigns.send_campaign", services.campaign_cancel, gettext_lazy("Cancelled.")),
}


@console_view("campaigns.view_campaign")
@require_POST
def campaign_action(request, pk: int, action: str):
    campaign = get_object_or_404(Campaign, pk=pk)
    if action == "override":
        if not request.user.has_perm("campaigns.change_campaign"):
            raise Http404
        form = OverrideForm(request.POST)
        reason = form.data.get("reason", "")
        try:
            services.campaign_lint_override(campaign=campaign, reason=reason, acting_user=request.user)
        except CampaignError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Reason recorded.") if reason.strip() else _("Override withdrawn."))
        return redirect(campaign.get_absolute_url())
    if action not in ACTIONS:
        raise Http404
    permission, service, done = ACTIONS[action]
    if not request.user.has_perm(permission):
        messages.error(request, _("You may not do that."))
        return redirect(campaign.get_absolute_url())
    try:
        service(campaign=campaign, acting_user=request.user)
    except CampaignNotReady as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(campaign.get_absolute_url())


# --- messages -----------------------------------------------------------------------------------

@console_view("campaigns.change_campaign")
@require_POST
def message_new(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = NewMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a channel and a language."))
        return redirect(campaign.get_absolute_url())
    return redirect("console:campaign_message", pk=campaign.pk, channel=form.cleaned_data["channel"],
                    language=form.cleaned_data["language"])


@console_view("campaigns.view_campaign")
def message_edit(request, pk: int, channel: str, language: str):
    campaign = get_object_or_404(Campaign, pk=pk)
    if channel not in MessageChannel.values:
        raise Http404
    message = campaign.messages.filter(channel=channel, language=language).first()
    can_edit = campaign.is_editable and request.user.has_perm("campaigns.change_campaign")
    if request.method == "POST":
        if not can_edit:
            messages.error(request, _("This campaign cannot be edited now."))
            return redirect(campaign.get_absolute_url())
        if "delete" in request.POST and message is not None:
            services.message_delete(message=message, acting_user=request.user)
            messages.success(request, _("Message removed."))
            return redirect(campaign.get_absolute_url())
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                message = services.message_set(campaign=campaign, channel=channel, language=language,
                                               acting_user=request.user, **form.cleaned_data)
            except CampaignInvalid as exc:
                _form_errors(form, exc)
            except CampaignError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Message saved."))
                return redirect("console:campaign_message", pk=campaign.pk, channel=channel, language=language)
    else:
        form = MessageForm.for_message(message)
    lint = services.message_lint(message) if message is not None else None
    return render(request, "campaigns/console/message_form.html", {
        "campaign": campaign, "message": message, "form": form, "channel": channel,
        "channel_label": MessageChannel(channel).label, "language": language, "can_edit": can_edit,
        "merge_fields": MERGE_FIELDS.items(), "lint": lint, "samples": selectors.sample_customers(campaign),
        "is_email": channel == MessageChannel.EMAIL,
    })


PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:", "http:"],
    "font-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}


@console_view("campaigns.view_campaign")
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def message_preview(request, pk: int, message_id: int):
    """The message as one customer of the audience would get it: an email's HTML (shown in a
    sandboxed frame, with the email's own inline styles), or an SMS/LINE text."""
    message = get_object_or_404(CampaignMessage.objects.select_related("campaign"), pk=message_id, campaign_id=pk)
    customer = selectors.preview_customer(message.campaign, request.GET.get("customer"))
    if customer is None:
        return HttpResponse(_("No customer to preview this message for."), content_type="text/plain; charset=utf-8")
    contexts = personalisation.merge_contexts(customer_ids=[customer.pk],
                                              recommendations=message.include_recommendations)
    rendered = render_message(message.campaign, message, contexts[customer.pk],
                              unsubscribe_url="#unsubscribe-preview",
                              offer_code=sample_offer_code(message.campaign))
    if message.channel == MessageChannel.EMAIL:
        # the app's own Japanese font for the preview only (mail clients use the reader's fonts)
        fonts = f'<link rel="stylesheet" href="{static("fonts/noto-sans-jp/font.css")}">'
        return HttpResponse(rendered.html.replace("<head>", "<head>" + fonts, 1))
    return render(request, "campaigns/console/preview_text.html", {"rendered": rendered, "message": message,
                                                                   "customer": customer})


@console_view("campaigns.change_campaign")
@require_POST
def message_test_send(request, pk: int, message_id: int):
    message = get_object_or_404(CampaignMessage.objects.select_related("campaign"), pk=message_id, campaign_id=pk)
    customer = selectors.preview_customer(message.campaign, request.POST.get("customer"))
    try:
        if customer is None:
            raise CampaignError(_("No customer to preview this message for."))
        campaign_test_send(campaign=message.campaign, message=message, customer=customer,
                           to=request.user.email, acting_user=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Test sent to %(email)s.") % {"email": request.user.email})
    return redirect("console:campaign_message", pk=pk, channel=message.channel, language=message.language)


@console_view("campaigns.change_sendingpolicy")
def sending_policy(request):
    policy = services.sending_policy()
    form = SendingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.sending_policy_update(acting_user=request.user, **{
                name: form.cleaned_data[name] for name in form.Meta.fields})
        except CampaignInvalid as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Sending policy saved."))
            return redirect("console:sending_policy")
    return render(request, "campaigns/console/sending_policy.html", {
        "form": form, "sender": services.sender_identity(policy)})


# --- offline pieces -----------------------------------------------------------------------------

@console_view("campaigns.change_campaign")
@require_POST
def print_start(request, pk: int):
    from ..print_runs import print_run_start

    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        print_run_start(campaign=campaign, kind=request.POST.get("kind", ""), acting_user=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Printing started: the files appear below when they are ready."))
    return redirect(campaign.get_absolute_url() + "#print")


@console_view("campaigns.view_campaign")
def print_run_row(request, pk: int, run_id: int):
    """One print run's row, polled by htmx while it runs."""
    run = get_object_or_404(PrintRun, pk=run_id, campaign_id=pk)
    return render(request, "campaigns/console/_print_run.html", {"run": run, "campaign": run.campaign})


@console_view("campaigns.view_campaign")
def print_download(request, pk: int, run_id: int, index: int):
    from ..print_runs import run_file

    run = get_object_or_404(PrintRun, pk=run_id, campaign_id=pk)
    path = run_file(run, index)
    if path is None:
        raise Http404
    content_type = "application/pdf" if path.suffix == ".pdf" else "image/png"
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{run.campaign.code}-{path.name}",
                        content_type=content_type)
