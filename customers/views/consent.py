"""Consent pages: the customer's preference centre (channel × purpose), the double opt-in
confirmation and the RFC 8058 unsubscribe pages (signed links, no login), and the console's
consent card. Thin: every write is a ``customers.consent`` service."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kernel import channels
from kernel.console import console_view

from .. import consent
from ..errors import ConsentLinkInvalid, ConsentRequestVoid
from ..models import ConsentChannel, ConsentPurpose, ConsentSource, Customer, consent_applies

HISTORY_LIMIT = 50
consent_grid_rows = consent.consent_grid_rows


# --- storefront: the preference centre ------------------------------------------------------------

def _own_customer(request) -> Customer | None:
    return getattr(request.user, "customer", None)


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _wanted_cells(request) -> set[tuple[str, str]]:
    """The ticked boxes of the grid, or one toggle (``channel``, ``purpose``, ``granted``: the
    older account form's shape) as the whole grid with that one cell changed. ValidationError on
    ``consent`` naming a box that does not exist."""
    if "channel" in request.POST:
        return None
    wanted, bad = set(), []
    for value in request.POST.getlist("consent"):
        channel, _sep, purpose = value.partition(":")
        if channel in ConsentChannel.values and purpose in ConsentPurpose.values and consent_applies(channel, purpose):
            wanted.add((channel, purpose))
        else:
            bad.append(value)
    if bad:
        raise ValidationError({"consent": [_("Unknown choice: %(value)s") % {"value": ", ".join(bad)}]})
    return wanted


def _shown_cells(request) -> set[tuple[str, str]] | None:
    """The boxes that were ticked when the page was drawn (``shown``), or None when the form did
    not say (an older page: the whole grid is then taken as wanted)."""
    if "shown" not in request.POST:
        return None
    return {tuple(value.partition(":")[::2]) for value in request.POST["shown"].split(",") if ":" in value}


@transaction.atomic
def _save_choices(request, customer: Customer) -> dict:
    """Apply the posted grid: every change through the consent services, all or nothing.
    Returns counts of what happened for the message."""
    meta = consent.consent_request_meta(request)
    grid = consent.consent_grid(customer=customer)
    wanted = _wanted_cells(request)
    if wanted is None:  # one toggle
        channel = request.POST.get("channel", "")
        purpose = request.POST.get("purpose") or ConsentPurpose.MARKETING
        consent.consent_validate(channel=channel, purpose=purpose)
        if request.POST.get("granted") not in ("0", "1"):
            raise ValidationError({"granted": [_("Choose subscribe or unsubscribe.")]})
        wanted = {key for key, record in grid.items() if record and record.granted}
        (wanted.add if request.POST["granted"] == "1" else wanted.discard)((channel, purpose))
    # Only the boxes the customer changed on this page count: a tab left open must not undo an
    # unsubscribe link followed since, nor grant again what was withdrawn elsewhere.
    shown = _shown_cells(request) if "channel" not in request.POST else None
    done = {"granted": 0, "withdrawn": 0, "pending": 0}
    web = channels.web_channel()
    for key, record in grid.items():
        channel, purpose = key
        is_granted = bool(record and record.granted)
        if shown is not None and (key in wanted) == (key in shown):
            continue
        if (key in wanted) == is_granted:
            continue
        choice = consent.consent_customer_choose(
            customer=customer, channel=channel, purpose=purpose, granted=key in wanted,
            source=ConsentSource.STOREFRONT, source_detail="preference centre", acting_user=request.user,
            event_channel=web, **meta)
        if choice.pending is not None:
            done["pending"] += 1
        elif choice.record is not None or key not in wanted:
            done["granted" if key in wanted else "withdrawn"] += 1
    return done


def _saved_message(done: dict) -> str:
    if done["pending"]:
        return _("Almost done: we have emailed you a link. Your email subscription starts when you confirm it.")
    if done["granted"] or done["withdrawn"]:
        return _("Your choices are saved.")
    return _("Nothing changed.")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """``/account/consent/``: the customer's consents by channel and purpose, editable. Works as
    a plain form (POST, redirect) and with htmx (the grid partial comes back in place)."""
    customer = _own_customer(request)
    if customer is None:
        messages.error(request, _("This login has no shopping profile."))
        return redirect("storefront:account")
    status, error, notice = 200, "", ""
    if request.method == "POST":
        try:
            done = _save_choices(request, customer)
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            notice = _saved_message(done)
            if not request.htmx:
                messages.success(request, notice)
                return redirect(_next_url(request, reverse("storefront:consent")))
        if not request.htmx and error:
            messages.error(request, error)
            return redirect(_next_url(request, reverse("storefront:consent")))
    context = {"customer": customer, "consent_error": error, "consent_notice": notice,
               "consent_next": reverse("storefront:consent"),
               "consent_history": consent.consent_history(customer=customer)[:HISTORY_LIMIT],
               **consent_grid_rows(customer=customer)}
    if request.htmx:
        return render(request, "customers/storefront/consent_grid.html", context,
                      status=200 if not error else 200)  # htmx swaps 200s: the error shows in the grid
    return render(request, "customers/storefront/consent_preferences.html", context, status=status)


# --- storefront: signed links (no login) ----------------------------------------------------------

def _link_error(request, exc) -> HttpResponse:
    return render(request, "customers/storefront/consent_link_error.html",
                  {"message": str(exc), "expired": getattr(exc, "reason", "") == "expired"}, status=400)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The double opt-in link from the confirmation email. GET shows what will be confirmed and a
    button (GET never writes: mail scanners follow links); POST records the grant."""
    try:
        opt_in = consent.consent_confirmation_read(token)
    except ConsentLinkInvalid as exc:
        return _link_error(request, exc)
    confirmed = None
    if request.method == "POST":
        try:
            confirmed = consent.consent_opt_in_confirm(token=token, **consent.consent_request_meta(request))
        except (ConsentLinkInvalid, ConsentRequestVoid) as exc:
            return _link_error(request, exc)
    elif opt_in.record_id:
        confirmed = opt_in.record
    return render(request, "customers/storefront/consent_confirm.html",
                  {"opt_in": opt_in, "confirmed": confirmed, "token": token})


@csrf_exempt  # the signed token is the credential; a mail client POSTs without cookies (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click unsubscribe link (RFC 8058). GET shows a page with a button and writes
    nothing; POST (the button, or the mail client's ``List-Unsubscribe=One-Click``) withdraws at
    once, without login. An altered or expired link: an error page, nothing stored."""
    try:
        target = consent.consent_unsubscribe_read(token)
    except ConsentLinkInvalid as exc:
        return _link_error(request, exc)
    done = False
    if request.method == "POST":
        try:
            target = consent.consent_unsubscribe(token=token, **consent.consent_request_meta(request))
        except ConsentLinkInvalid as exc:
            return _link_error(request, exc)
        done = True
    return render(request, "customers/storefront/consent_unsubscribe.html", {
        "target": target, "done": done, "token": token,
        "channel_label": ConsentChannel(target.channel).label, "purpose_label": ConsentPurpose(target.purpose).label,
        "still_granted": not done and consent.consent_allows(customer=target.customer, channel=target.channel,
                                                             purpose=target.purpose),
    })


# --- console: the customer's consent card ---------------------------------------------------------

class StaffConsentForm(forms.Form):
    """A decision the customer told staff (at the counter, by phone): the source is required."""

    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=ConsentChannel.choices)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=ConsentPurpose.choices,
                                initial=ConsentPurpose.MARKETING)
    granted = forms.TypedChoiceField(label=gettext_lazy("Decision"), coerce=lambda value: value == "1",
                                     choices=[("1", gettext_lazy("Opt in")), ("0", gettext_lazy("Opt out"))])
    source = forms.ChoiceField(label=gettext_lazy("Where the customer told us"),
                               choices=[("", "—")] + [(s.value, s.label) for s in consent.STAFF_SOURCES])
    source_detail = forms.CharField(label=gettext_lazy("Detail"), max_length=200, required=False,
                                    help_text=gettext_lazy("e.g. by phone, at the Shibuya counter, paper form"))


def console_consent_context(customer: Customer, *, form: StaffConsentForm | None = None) -> dict:
    """The consent card's context (``customers/console/consent_card.html``): the grid, pending
    confirmations, the staff form and the ledger with who and from where."""
    return {**consent_grid_rows(customer=customer),
            "consent_form": form or StaffConsentForm(),
            "consent_ledger": list(consent.consent_history(customer=customer)[:HISTORY_LIMIT])}


@require_POST
@console_view("customers.change_customer")
def customer_consent(request, pk: int):
    """Staff record an opt-in or opt-out the customer gave them, with its source."""
    customer = get_object_or_404(Customer.objects.select_related("favourite_location", "user"), pk=pk)
    form = StaffConsentForm(request.POST)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            consent.consent_decide(customer=customer, channel=data["channel"], purpose=data["purpose"],
                                   granted=data["granted"], source=data["source"],
                                   source_detail=data["source_detail"], acting_user=request.user,
                                   **consent.consent_request_meta(request))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            saved = True
    if request.htmx:
        context = {"customer": customer, "can_change": True, "consent_saved": saved,
                   **console_consent_context(customer, form=None if saved else form)}
        return render(request, "customers/console/consent_card.html", context)
    if saved:
        messages.success(request, _("The consent decision was recorded."))
    else:
        messages.error(request, " ".join(f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                                         for f, e in form.errors.items()))
    return redirect(reverse("console:customer_detail", kwargs={"pk": customer.pk}) + "#consent")
