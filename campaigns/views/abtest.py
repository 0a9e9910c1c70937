"""The A/B test card of a campaign page: the variant editor while the campaign is a draft, the
results per variant side by side with the verdict in words, and the button that sends the winner
to the rest (one URL, the card alone when htmx asks)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kernel.console import console_view

from .. import abtests
from ..errors import CampaignError, CampaignInvalid
from ..forms_abtest import ABTestForm
from ..models import Campaign, CampaignStatus
from ..models_abtest import ABStatus, ABTest

CARD = "campaigns/console/_abtest.html"


def abtest_context(request, campaign: Campaign, form: ABTestForm | None = None) -> dict:
    """What the A/B card shows (shared with the campaign page)."""
    user = request.user
    ab = ABTest.objects.filter(campaign=campaign).first()
    can_edit = campaign.is_editable and user.has_perm("campaigns.change_campaign")
    campaign_messages = list(campaign.messages.all())
    if form is None and can_edit and campaign_messages:
        form = ABTestForm(messages=campaign_messages, ab_test=ab, prefix="ab", offers=variant_offer_choices(campaign))
    results = abtests.abtest_results(campaign) if ab is not None and ab.status != ABStatus.DRAFT else None
    return {
        "campaign": campaign, "ab": ab, "ab_form": form, "ab_can_edit": can_edit,
        "ab_results": results,
        "ab_variants": list(ab.variants.select_related("offer")) if ab is not None else [],
        "ab_can_send_winner": (ab is not None and ab.status == ABStatus.TESTING
                               and campaign.status == CampaignStatus.SENDING
                               and user.has_perm("campaigns.send_campaign")),
    }


def variant_offer_choices(campaign: Campaign) -> list:
    """The offers a variant may grant: the campaign's current ones with codes (one query)."""
    return abtests.variant_offer_candidates(campaign)


def _card(request, campaign: Campaign, form=None, status: int = 200):
    return render(request, CARD, abtest_context(request, campaign, form), status=status)


@console_view("campaigns.change_campaign")
@require_POST
def abtest_save(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if request.POST.get("remove"):
        try:
            abtests.abtest_remove(campaign=campaign, acting_user=request.user)
        except CampaignError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("A/B test removed."))
        return _done(request, campaign)
    ab = ABTest.objects.filter(campaign=campaign).first()
    form = ABTestForm(request.POST, messages=list(campaign.messages.all()), ab_test=ab, prefix="ab",
                      offers=variant_offer_choices(campaign))
    if form.is_valid():
        try:
            abtests.abtest_save(campaign=campaign, acting_user=request.user, variants=form.variants(),
                                test_share=form.cleaned_data["test_share"], metric=form.cleaned_data["metric"],
                                decide_after_hours=form.cleaned_data["decide_after_hours"])
        except CampaignInvalid as exc:
            for field, errors in exc.errors.items():
                name = f"use_{field.removeprefix('variant_')}" if field.startswith("variant_") else field
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("A/B test saved."))
            return _done(request, campaign)
    if request.htmx:
        return _card(request, campaign, form)  # htmx swaps a 200 only
    messages.error(request, _("The A/B test was not saved: see the card below."))
    return redirect(campaign.get_absolute_url())


@console_view("campaigns.send_campaign")
@require_POST
def abtest_send_winner(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not ABTest.objects.filter(campaign=campaign).exists():
        raise Http404
    try:
        ab = abtests.abtest_send_winner(campaign=campaign, acting_user=request.user,
                                        label=request.POST.get("label", ""))
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Variant %(label)s is being sent to the rest of the audience.") % {
            "label": ab.winner.label})
    return _done(request, campaign)


def _done(request, campaign: Campaign):
    if request.htmx:
        return HttpResponseClientRedirect(campaign.get_absolute_url())
    return redirect(campaign.get_absolute_url())
