"""Campaigns' tiles on the console dashboard (kernel.dashboard), for HQ: campaigns sending or
scheduled, and those waiting for someone's approval. One query. (Journeys, when they come,
declare their own tiles on their AppConfig the same way.)"""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kernel.dashboard import Tile

from .models import Campaign, CampaignStatus


def dashboard_tiles(*, user, here=None) -> list[Tile]:
    if here is not None or not user.has_perm("campaigns.view_campaign"):
        return []
    counts = Campaign.objects.aggregate(
        sending=Count("id", filter=Q(status=CampaignStatus.SENDING)),
        scheduled=Count("id", filter=Q(status=CampaignStatus.SCHEDULED)),
        pending=Count("id", filter=Q(status=CampaignStatus.PENDING_APPROVAL)))
    listed = reverse("console:campaigns")
    return [
        Tile("campaigns_running", _("Campaigns running"), counts["sending"] + counts["scheduled"],
             f"{listed}?status=sending", note=_("%(sending)d sending, %(scheduled)d scheduled") % counts, order=30),
        Tile("campaigns_to_approve", _("Campaigns to approve"), counts["pending"], f"{listed}?status=pending",
             note=_("waiting for approval before they can be sent"), tone="warn" if counts["pending"] else "",
             order=31),
    ]
