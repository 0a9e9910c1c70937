"""Brand kit console pages (HQ): overview, draft editing, publish, history, copy check, logos, assets."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kernel.console import console_view, htmx_template

from .. import assets, colour, selectors, services, theme
from ..forms import BrandForm, CardForm, CheckForm, DraftForm, LogoForm
from ..linting import rule_label
from ..models import Brand, BrandKit, ColourRole, Severity

VIEW = "brandkit.view_brandkit"
CHANGE = "brandkit.change_brandkit"


SESSION_KIT = "brandkit:kit"


def _current_kit(request, *, required: bool = True) -> BrandKit | None:
    """The kit HQ is working on: the one chosen with the brand switcher (``kit_switch``, kept in
    the session), else the default brand's active kit. Reading it writes nothing."""
    kit_id = request.session.get(SESSION_KIT)
    kit = selectors.kits().filter(pk=kit_id, is_active=True).first() if kit_id else None
    kit = kit or selectors.kit_default()
    if kit is None and required:
        raise Http404(_("No brand kit yet. Run the seed command or create one."))
    return kit


def _kit_context(kit) -> dict:
    """What every brand kit page shows about the kit in hand (the brand switcher in the tabs)."""
    return {"kit": kit, "brand_count": selectors.brand_count()}


@console_view(VIEW)
def index(request):
    kit = _current_kit(request, required=False)
    if kit is None:
        return render(request, "brandkit/console/empty.html", {"brand_form": BrandForm()})
    version = selectors.version_detail(kit.published_version_id) if kit.published_version_id else None
    palette = {c.role: c.hex for c in version.palette.all()} if version else {}
    matrix = colour.contrast_matrix(palette)
    draft = kit.versions.filter(status="draft").first()
    return render(request, "brandkit/console/index.html", {
        **_kit_context(kit), "version": version, "draft": draft,
        "palette": [(role, label, palette.get(role, "")) for role, label in ColourRole.choices],
        "matrix": matrix,
        "matrix_failures": colour.matrix_failures(matrix),
        "scores": selectors.consistency_scores(kit=kit),
        "channels": selectors.channel_guide(version) if version else [],
        "renditions": selectors.logo_renditions(version) if version else [],
        "type_scale": selectors.type_scale(version) if version else [],
        "brands": selectors.brand_kits(),
        "brand_form": BrandForm(),
    })


@require_POST
@console_view(VIEW)
def kit_switch(request):
    """The brand switcher: remember which brand's kit the brand kit pages show (a POST, since it
    changes the session; with htmx the browser is sent to the overview as a whole page)."""
    wanted = request.POST.get("kit", "")
    kit = selectors.kits().filter(pk=wanted, is_active=True).first() if wanted.isdigit() else None
    if kit is None:
        raise Http404(_("No such brand kit."))
    request.session[SESSION_KIT] = kit.pk
    if request.htmx:
        return HttpResponseClientRedirect(reverse("console:brandkit:index"))
    return redirect("console:brandkit:index")


@require_POST
@console_view(CHANGE)
def brand_create(request):
    form = BrandForm(request.POST)
    if form.is_valid():
        try:
            kit = services.brand_start(name=form.cleaned_data["name"], slug=form.cleaned_data["slug"],
                                       is_default=form.cleaned_data["is_default"], acting_user=request.user)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            request.session[SESSION_KIT] = kit.pk
            messages.success(request, _("Brand %(name)s created with a draft kit: fill it in and publish it.") % {
                "name": kit.brand.name})
            return redirect("console:brandkit:draft")
    kit = _current_kit(request, required=False)
    if kit is None:
        return render(request, "brandkit/console/empty.html", {"brand_form": form}, status=400)
    for error in form.errors.values():
        for message in error:
            messages.error(request, message)
    return redirect("console:brandkit:index")


@require_POST
@console_view(CHANGE)
def brand_default(request, brand_id: int):
    brand = get_object_or_404(Brand, pk=brand_id)
    services.brand_set_default(brand=brand, acting_user=request.user)
    if brand.kits.filter(is_active=True, published_version__isnull=False).exists():
        messages.success(request, _("%(name)s is now the default brand: the console, storefront and emails use its kit.")
                         % {"name": brand.name})
    else:
        messages.warning(request, _("%(name)s is now the default brand. Its kit is not published yet: until it is, "
                                    "the console, storefront and emails keep the last published kit.") % {
            "name": brand.name})
    return redirect("console:brandkit:index")


@console_view(CHANGE)
def draft_edit(request):
    """The kit's draft. Without one, a GET shows the form filled from the published version and
    writes nothing; the first valid save creates the draft and saves into it, together
    (``services.draft_edit``)."""
    kit = _current_kit(request)
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                services.draft_edit(kit=kit, values=form.draft_values, acting_user=request.user,
                                    base_version=form.cleaned_data["base_version"])
            except services.DraftChanged as error:
                form.rebase(error.fingerprint)
                form.add_error(None, error)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console:brandkit:draft")
    source = kit.edit_source()
    version = selectors.version_detail(source.pk) if source else None
    if request.method != "POST":
        form = DraftForm(version=version)
    return render(request, "brandkit/console/draft.html", {
        **_kit_context(kit), "version": version, "form": form, "logo_form": LogoForm(),
        "is_draft": bool(version and version.is_draft), "next_number": _next_number(kit),
    })


def _next_number(kit) -> int:
    return (kit.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1


@require_POST
@console_view(CHANGE)
def draft_logo(request):
    kit = _current_kit(request)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:  # into the kit's draft, started by the same service when there is none
            services.logo_add(kit=kit, upload=form.cleaned_data["logo"], name=form.cleaned_data["name"],
                              acting_user=request.user)
        except ValidationError as error:  # found on decoding (a damaged file): the form only read the header
            form.add_error(None, error)
        else:
            messages.success(request, _("Logo uploaded with its variants."))
            return redirect("console:brandkit:draft")
    version = selectors.version_detail(kit.edit_source().pk)
    return render(request, "brandkit/console/draft.html", {
        **_kit_context(kit), "version": version, "form": DraftForm(version=version), "logo_form": form,
        "is_draft": version.is_draft, "next_number": _next_number(kit),
    }, status=400)


@require_POST
@console_view(CHANGE)
def draft_publish(request):
    kit = _current_kit(request)
    draft = kit.versions.filter(status="draft").first()
    if draft is None:
        messages.error(request, _("There is no draft to publish."))
        return redirect("console:brandkit:index")
    try:
        services.version_publish(version=draft, acting_user=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("console:brandkit:draft")
    messages.success(request, _("Version %(n)d published; every channel now uses it.") % {"n": draft.number})
    return redirect("console:brandkit:index")


@console_view(VIEW)
def history(request):
    kit = _current_kit(request)
    return render(request, "brandkit/console/history.html", {
        **_kit_context(kit), "history": selectors.history_with_diffs(kit), "changes": selectors.kit_changes(kit),
    })


@console_view(VIEW)
def check(request):
    kit = _current_kit(request)
    form = CheckForm(request.GET if "text" in request.GET else None)
    violations, segments, text = [], [], ""
    if form.is_valid():
        text = form.cleaned_data["text"]
        # The kit in hand: its published version, or its draft while it has never been published.
        version = None
        if kit.published_version_id != theme.active_version_id():
            version = kit.published_version or kit.versions.filter(status="draft").first()
        violations = services.lint(text, form.cleaned_data["channel"], form.cleaned_data["locale"], version=version)
        segments = highlight(text, violations)
    context = {**_kit_context(kit), "form": form, "violations": violations, "segments": segments, "text": text,
               "rows": violation_rows(violations), "checked": form.is_bound and form.is_valid()}
    return render(request, htmx_template(request, "brandkit/console/check.html", "results"), context)


def violation_rows(violations) -> list[dict]:
    """Violations with what the page shows: the rule's and severity's names, 1-based positions."""
    severities = dict(Severity.choices)
    return [{"v": v, "rule": rule_label(v.rule), "severity": severities.get(v.severity, v.severity),
             "first": v.start + 1, "last": max(v.end, v.start + 1)} for v in violations]


def highlight(text: str, violations) -> list[tuple[str, object]]:
    """Split ``text`` into (chunk, violation-or-None) so each flagged span can be marked."""
    spans = sorted((v for v in violations if v.end > v.start), key=lambda v: (v.start, -v.end))
    out, cursor = [], 0
    for v in spans:
        if v.start < cursor:
            continue
        if v.start > cursor:
            out.append((text[cursor:v.start], None))
        out.append((text[v.start:v.end], v))
        cursor = v.end
    if cursor < len(text):
        out.append((text[cursor:], None))
    return out


@console_view(VIEW)
def card(request):
    kit = _current_kit(request)
    version = theme.active_version(kit.brand)
    kit_theme = theme.theme_for_version(version) if version else theme.theme()
    form = CardForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        logo = None
        primary = next((lg for lg in version.logos.all() if lg.is_primary), None) if version else None
        logo_rules = (version.logo_rules or {}) if version else {}
        if primary is not None:
            logo = assets.prepared_logo((version.pk, primary.original.name), lambda: _open_image(primary.original),
                                        limit=assets.LOGO_LIMITS[kind],
                                        min_height=int(logo_rules.get("min_size_px") or 0))
        image = assets.compose_card(
            kind=kind, headline=form.cleaned_data["headline"],
            subline=form.cleaned_data["subline"], colours=kit_theme.colours, photo=form.cleaned_data["photo"],
            logo=logo, brand_name=kit_theme.brand_name, logo_rules=logo_rules,
        )
        response = HttpResponse(assets.png_bytes(image), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="{form.cleaned_data["kind"]}-card.png"'
        return response
    has_logo = bool(version) and any(lg.is_primary for lg in version.logos.all())
    return render(request, "brandkit/console/card.html", {
        **_kit_context(kit), "form": form, "has_logo": has_logo,
        "logo_rules": (version.logo_rules or {}) if version else {},
    }, status=400 if form.errors else 200)


def _open_image(field_file):
    from PIL import Image

    with field_file.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


@require_POST
@console_view(CHANGE)
def share_rotate(request):
    kit = _current_kit(request)
    services.kit_share_token_rotate(kit=kit, acting_user=request.user)
    messages.success(request, _("A new share link was made; the old one no longer opens the guide."))
    return redirect("console:brandkit:index")
