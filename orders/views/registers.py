"""Console pages of the registers (レジ): the store's registers with their state, open with a
float, close with a cash count by denomination, the session's report (精算レポート) on screen
and printable (A4 and 80 mm receipt width), the store's day report and the history of past
sessions with their over/short. Store staff see their store; HQ and administrators every store."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate

from .. import register_report, registers
from ..errors import InvalidOrder
from ..forms_registers import RegisterCloseForm, RegisterCreateForm, RegisterOpenForm
from ..models import Register, RegisterSession

PAPERS = ("a4", "80mm")


def _store_choice(request):
    """The store the page is about: the staff member's own, or the one HQ picked (default the first)."""
    return location_choice(request, queryset=registers.locations_with_registers(request.user), default_first=True)


def _register(request, pk: int) -> Register:
    try:
        return registers.register_get(pk=pk, user=request.user)
    except Register.DoesNotExist as exc:
        raise Http404 from exc


def _session(request, pk: int) -> RegisterSession:
    try:
        return registers.session_get(pk=pk, user=request.user)
    except RegisterSession.DoesNotExist as exc:
        raise Http404 from exc


@console_view("orders.view_register")
def register_list(request):
    location, locations = _store_choice(request)
    rows = []
    if location is not None:
        for register in registers.registers_for_user(request.user).filter(location=location):
            session = registers.register_session_current(register)
            rows.append({"register": register, "session": session,
                         "expected": session.expected_now if session else None})
    context = {
        "location": location,
        "locations": locations,
        "rows": rows,
        "choose_location": not roles.is_scoped(request.user),
        "can_operate": request.user.has_perm("orders.operate_register"),
        "can_add": request.user.has_perm("orders.add_register"),
        "today": timezone.localdate(),
    }
    return render(request, "orders/console/registers.html", context)


@require_http_methods(["GET", "POST"])
@console_view("orders.add_register")
def register_create(request):
    locations = roles.scoped_locations(request.user).filter(kind__in=registers.REGISTER_KINDS).order_by("code")
    form = RegisterCreateForm(request.POST or None, locations=locations,
                              initial={"location": request.GET.get("location")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                register = registers.register_create(location=form.cleaned_data["location"],
                                                     code=form.cleaned_data["code"], name=form.cleaned_data["name"],
                                                     acting_user=request.user)
            except InvalidOrder as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("Register %(register)s is set up.") % {"register": register})
                return redirect(f"{reverse('console:registers')}?location={register.location_id}")
        status = 400
    return render(request, "orders/console/register_create.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@console_view("orders.operate_register")
def register_open(request, pk: int):
    register = _register(request, pk)
    current = registers.register_session_current(register)
    form = RegisterOpenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = registers.register_open(register=register, opening_float=form.cleaned_data["opening_float"],
                                                  acting_user=request.user)
            except InvalidOrder as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("Register %(register)s is open with a float of ¥%(float)s.")
                                 % {"register": register, "float": f"{session.opening_float:,}"})
                return redirect(f"{reverse('console:registers')}?location={register.location_id}")
        status = 400
    return render(request, "orders/console/register_open.html",
                  {"register": register, "current": current, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@console_view("orders.operate_register")
def register_close(request, pk: int):
    session = _session(request, pk)
    if not session.is_open:
        messages.info(request, _("This register session is already closed."))
        return redirect("console:register_session", pk=session.pk)
    form = RegisterCloseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = registers.register_close(session=session, cash_count=form.cash_count(),
                                                   note=form.cleaned_data["note"], acting_user=request.user)
            except InvalidOrder as exc:
                form.add_service_errors(exc.errors, field_of=None)
            else:
                messages.success(request, _("Register %(register)s is closed. Over/short: %(diff)s.")
                                 % {"register": session.register, "diff": _signed_yen(session.over_short)})
                return redirect("console:register_session", pk=session.pk)
        status = 400
    report = register_report.session_report(session)
    context = {"session": session, "form": form, "report": report}
    return render(request, "orders/console/register_close.html", context, status=status)


def _signed_yen(amount: int | None) -> str:
    if amount is None:
        return "—"
    return f"{'+' if amount > 0 else '-' if amount < 0 else '±'}¥{abs(amount):,}"


def _paper(request) -> str:
    paper = request.GET.get("print", "")
    return paper if paper in PAPERS else ""


@console_view("orders.view_register")
def register_session(request, pk: int):
    session = _session(request, pk)
    report = register_report.session_report(session)
    context = {"session": session, "report": report, "title": _("Register report"),
               "can_operate": request.user.has_perm("orders.operate_register"), "papers": PAPERS}
    paper = _paper(request)
    if paper:
        return render(request, "orders/console/register_report_print.html", {**context, "paper": paper})
    return render(request, "orders/console/register_session.html", context)


@console_view("orders.view_register")
def register_day(request):
    location, locations = _store_choice(request)
    raw = request.GET.get("date", "")
    try:
        business_date = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        business_date = timezone.localdate()
    report = register_report.store_day_report(location=location, business_date=business_date) if location else None
    context = {"location": location, "locations": locations, "report": report, "business_date": business_date,
               "choose_location": not roles.is_scoped(request.user), "title": _("Store day report"),
               "papers": PAPERS}
    paper = _paper(request)
    if paper and report is not None:
        return render(request, "orders/console/register_report_print.html", {**context, "paper": paper})
    return render(request, "orders/console/register_day.html", context)


@console_view("orders.view_register")
def register_history(request):
    location, locations = _store_choice(request)
    sessions = registers.session_history(
        registers=Register.objects.filter(location=location) if location else Register.objects.none())
    page = paginate(request, sessions, per_page=50)
    context = {"location": location, "locations": locations, "page": page,
               "choose_location": not roles.is_scoped(request.user)}
    return render(request, htmx_template(request, "orders/console/register_history.html", "results"), context)
