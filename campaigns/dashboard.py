"""Campaigns' tiles on the console dashboard (kernel.dashboard), for HQ: campaigns sending or
scheduled, and those waiting for someone's approval (one query); the journeys running and the
customers in them now (one query); the back-in-stock requests waiting (one query)."""

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
    tiles = []
    if user.has_perm("campaigns.view_journey"):
        from .models_journeys import EnrolmentStatus, Journey, JourneyStatus

        journeys = Journey.objects.aggregate(
            running=Count("id", filter=Q(status=JourneyStatus.ACTIVE), distinct=True),
            customers=Count("enrolments", filter=Q(status=JourneyStatus.ACTIVE,
                                                   enrolments__status=EnrolmentStatus.ACTIVE)))
        tiles.append(Tile("journeys_running", _("Journeys running"), journeys["running"], reverse("console:journeys"),
                          note=_("%(customers)d customers in them now") % journeys, order=32))
    if user.has_perm("campaigns.view_backinstocksubscription"):
        from .models_backinstock import BackInStockSubscription

        waiting = BackInStockSubscription.objects.filter(notified_at__isnull=True, cancelled_at__isnull=True).count()
        tiles.append(Tile("back_in_stock_waiting", _("Waiting for a size to come back"), waiting,
                          reverse("console:back_in_stock"), note=_("back-in-stock requests not yet answered"),
                          order=33))
    return tiles + [
        Tile("campaigns_running", _("Campaigns running"), counts["sending"] + counts["scheduled"],
             f"{listed}?status=sending", note=_("%(sending)d sending, %(scheduled)d scheduled") % counts, order=30),
        Tile("campaigns_to_approve", _("Campaigns to approve"), counts["pending"], f"{listed}?status=pending",
             note=_("waiting for approval before they can be sent"), tone="warn" if counts["pending"] else "",
             order=31),
    ]
