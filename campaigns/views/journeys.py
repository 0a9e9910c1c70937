"""The journey editor in the console (namespace "console"): the list with the ready-made journeys,
the journey's page — its steps drawn as a flow with how many customers are at and went through
each, what keeps it from being activated, its figures — and the forms of the journey and of a
step. Thin: the rules are in ``campaigns.journeys``."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kernel.console import console_view, paginate

from .. import journeys
from ..errors import CampaignError, CampaignInvalid
from ..forms_journeys import JourneyForm, StepForm, put_errors
from ..journey_templates import TEMPLATES, journey_from_template
from ..models import MessageChannel
from ..models_journeys import Enrolment, EnrolmentStatus, Journey, JourneyStatus, JourneyStep, StepKind


@console_view("campaigns.view_journey")
def journey_list(request):
    rows = (Journey.objects.annotate(
        active=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
        entered=Count("enrolments"),
        reached=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.GOAL)))
        .order_by("status", "name", "pk"))
    return render(request, "campaigns/console/journeys.html", {
        "page": paginate(request, rows, per_page=50), "templates": TEMPLATES,
        "can_add": request.user.has_perm("campaigns.add_journey")})


@console_view("campaigns.add_journey")
@require_POST
def journey_from_ready_made(request):
    key = request.POST.get("template", "")
    if key not in {t.key for t in TEMPLATES}:
        raise Http404
    journey = journey_from_template(key=key, acting_user=request.user)
    messages.success(request, _("The journey is ready as a draft: check it and activate it."))
    return redirect(journey.get_absolute_url())


def _settings_page(request, journey: Journey | None):
    if request.method == "POST":
        form = JourneyForm(request.POST)
        if form.is_valid():
            try:
                if journey is None:
                    journey = journeys.journey_create(acting_user=request.user, **form.service_fields())
                else:
                    journey = journeys.journey_update(journey=journey, acting_user=request.user,
                                                      **form.service_fields())
            except CampaignInvalid as exc:
                put_errors(form, exc.errors)
            except CampaignError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Journey saved."))
                return redirect(journey.get_absolute_url())
    else:
        form = JourneyForm.for_journey(journey) if journey else JourneyForm(initial={"purpose": "marketing",
                                                                                     "reentry": "after_exit"})
    return render(request, "campaigns/console/journey_form.html", {"form": form, "journey": journey})


@console_view("campaigns.add_journey")
def journey_create(request):
    return _settings_page(request, None)


@console_view("campaigns.change_journey")
def journey_edit(request, pk: int):
    return _settings_page(request, get_object_or_404(Journey, pk=pk))


@dataclass
class Node:
    """A step as the flow draws it: a branch carries its two sides; a step reached a second way
    is drawn once, and the other way points at it (``goes_to``)."""

    step: JourneyStep | None = None
    counts: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    yes: list = field(default_factory=list)
    no: list = field(default_factory=list)
    goes_to: JourneyStep | None = None


def flow(first_id, steps: dict, counts: dict, problems: dict) -> list[Node]:
    """The steps from ``first_id`` on, as nested lists of Nodes (no query)."""
    drawn: set[int] = set()

    def walk(step_id) -> list[Node]:
        nodes = []
        while step_id is not None and step_id in steps:
            step = steps[step_id]
            if step_id in drawn:
                nodes.append(Node(goes_to=step))
                return nodes
            drawn.add(step_id)
            node = Node(step=step, counts=counts.get(step_id, {}), problems=problems.get(step_id, []))
            nodes.append(node)
            if step.kind == StepKind.BRANCH:
                node.yes, node.no = walk(step.next_step_id), walk(step.else_step_id)
                return nodes
            step_id = step.next_step_id
        return nodes

    return walk(first_id)


@console_view("campaigns.view_journey")
def journey_detail(request, pk: int):
    journey = get_object_or_404(Journey.objects.select_related("created_by"), pk=pk)
    steps = {s.pk: s for s in journeys.live_steps(journey)}
    from customers.models import Segment

    wanted = {s.config.get("segment") for s in steps.values() if s.config.get("segment")}
    segment_names = dict(Segment.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    for step in steps.values():
        step.content = []
        step.summary = journeys.step_summary(step, segment_names)
    from ..models import CampaignMessage

    by_campaign = {s.campaign_id: s for s in steps.values() if s.campaign_id}
    for message in CampaignMessage.objects.filter(campaign_id__in=list(by_campaign)).only(
            "id", "campaign_id", "channel", "language"):
        by_campaign[message.campaign_id].content.append(message)
    languages = _languages()
    for step in steps.values():
        if step.kind == StepKind.SEND:
            have = {(m.channel, m.language) for m in step.content}
            needed = [c for c in (step.config.get("channel"), step.config.get("fallback_channel"))
                      if c in MessageChannel.values]
            step.chips = [{"channel": c, "label": MessageChannel(c).label, "language": lang, "ok": (c, lang) in have}
                          for c in needed for lang in languages]
    problems = journeys.journey_problems(journey) if journey.status != JourneyStatus.ACTIVE else []
    by_step: dict = {}
    for problem in problems:
        by_step.setdefault(problem.step, []).append(problem.message)
    counts = journeys.step_counts(journey)
    nodes = flow(journey.first_step_id, steps, counts, by_step)
    drawn = _drawn_ids(nodes)
    loose = [Node(step=s, counts=counts.get(s.pk, {}), problems=by_step.get(s.pk, []))
             for s in steps.values() if s.pk not in drawn]
    recent = (Enrolment.objects.filter(journey=journey).select_related("customer", "current_step")
              .order_by("-entered_at", "-pk")[:10])
    can_change = request.user.has_perm("campaigns.change_journey") and journey.is_editable
    # htmx (an active journey's flow polls): the flow card alone, with its fresh counts
    template = "campaigns/console/journey_detail.html" + ("#flow" if request.htmx else "")
    return render(request, template, {
        "journey": journey, "nodes": nodes, "loose": loose, "journey_problems": by_step.get(None, []),
        "problems": problems, "stats": journeys.journey_stats(journey), "recent": recent,
        "can_change": can_change, "can_activate": request.user.has_perm("campaigns.activate_journey"),
        "kinds": StepKind.choices, "languages": _languages(), "channels": MessageChannel,
    })


def _languages():
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES]


def _drawn_ids(nodes: list[Node]) -> set[int]:
    ids = set()
    for node in nodes:
        if node.step is not None:
            ids.add(node.step.pk)
        ids |= _drawn_ids(node.yes) | _drawn_ids(node.no)
    return ids


ACTIONS = {  # (lazy: said in the language of the request that does it)
    "activate": (journeys.journey_activate,
                 gettext_lazy("The journey is active: customers who meet the trigger enter it.")),
    "pause": (journeys.journey_pause,
              gettext_lazy("The journey is paused: no one enters or moves on until it is resumed.")),
    "archive": (journeys.journey_archive, gettext_lazy("The journey is archived.")),
}


@console_view("campaigns.activate_journey")
@require_POST
def journey_action(request, pk: int, action: str):
    journey = get_object_or_404(Journey, pk=pk)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    try:
        service(journey=journey, acting_user=request.user)
    except journeys.JourneyNotReady as exc:
        messages.error(request, _("The journey cannot be activated yet: %(count)s problems, shown on their steps.")
                       % {"count": len(exc.items)})
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(journey.get_absolute_url())


def _step_page(request, journey: Journey, step: JourneyStep | None):
    after = None
    branch = request.GET.get("branch", request.POST.get("branch", "yes"))
    if step is None and (request.GET.get("after") or request.POST.get("after")):
        after = get_object_or_404(JourneyStep, pk=request.GET.get("after") or request.POST.get("after"),
                                  journey=journey)
    if request.method == "POST":
        form = StepForm(request.POST)
        if form.is_valid():
            try:
                if step is None:
                    step = journeys.step_add(journey=journey, acting_user=request.user,
                                             kind=form.cleaned_data["kind"], name=form.cleaned_data["name"],
                                             config=form.config(), offer=form.cleaned_data.get("offer"),
                                             after=after, branch=branch)
                else:
                    step = journeys.step_update(step=step, acting_user=request.user, name=form.cleaned_data["name"],
                                                config=form.config(), offer=form.cleaned_data.get("offer"))
            except CampaignInvalid as exc:
                put_errors(form, exc.errors)
            except CampaignError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Step saved."))
                if step.kind == StepKind.SEND and not step.campaign.messages.exists():
                    return redirect("console:campaign_message", pk=step.campaign_id,
                                    channel=step.config.get("channel", "email"), language=_languages()[0])
                return redirect(reverse("console:journey_detail", kwargs={"pk": journey.pk}) + f"#step-{step.pk}")
    elif step is not None:
        form = StepForm.for_step(step)
    else:
        form = StepForm(initial={"kind": request.GET.get("kind", StepKind.WAIT), "unit": "days",
                                 "channel": "email", "fallback_hours": 24})
    kind = (form.data.get("kind") if form.is_bound else form.initial.get("kind")) or StepKind.WAIT
    return render(request, "campaigns/console/journey_step_form.html", {
        "journey": journey, "step": step, "form": form, "kind": kind, "after": after, "branch": branch})


def _editable(request, journey: Journey) -> bool:
    if not journey.is_editable:
        messages.error(request, _("Pause the journey before changing it."))
        return False
    return True


@console_view("campaigns.change_journey")
def step_new(request, pk: int):
    journey = get_object_or_404(Journey, pk=pk)
    if not _editable(request, journey):
        return redirect(journey.get_absolute_url())
    return _step_page(request, journey, None)


@console_view("campaigns.change_journey")
def step_edit(request, pk: int, step_id: int):
    journey = get_object_or_404(Journey, pk=pk)
    step = get_object_or_404(JourneyStep.objects.select_related("campaign", "offer"), pk=step_id, journey=journey)
    if not _editable(request, journey):
        return redirect(journey.get_absolute_url())
    return _step_page(request, journey, step)


@console_view("campaigns.change_journey")
@require_POST
def step_remove(request, pk: int, step_id: int):
    journey = get_object_or_404(Journey, pk=pk)
    step = get_object_or_404(JourneyStep, pk=step_id, journey=journey)
    try:
        journeys.step_remove(step=step, acting_user=request.user)
    except CampaignError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Step removed."))
    return redirect(journey.get_absolute_url())


def customer_journeys_block(request, *, slot: str, customer, **context) -> str:
    """The customer's journeys on their 360 page (kernel.slots ``customer_360``): where they are in
    each, or how it ended; for those who may see journeys. One query."""
    from django.template.loader import render_to_string

    if not request.user.has_perm("campaigns.view_journey"):
        return ""
    enrolments = list(Enrolment.objects.filter(customer=customer).select_related("journey", "current_step")
                      .order_by("-entered_at", "-pk")[:CUSTOMER_JOURNEYS])
    return render_to_string("campaigns/console/_customer_journeys.html",
                            {"enrolments": enrolments, "customer": customer}, request=request)


CUSTOMER_JOURNEYS = 10
