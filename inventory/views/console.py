"""Console pages of the catalogue and stock: products, receiving, stock levels, ledger."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from brandkit import services as brandkit
from brandkit.views.console import highlight
from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate
from kernel.japan import search_key

from .. import selectors, services
from ..errors import InvalidStockOperation, InventoryError, ZonesInvalid
from ..forms import (
    PhotoAddForm,
    ProductEditForm,
    ProductForm,
    StockAdjustForm,
    StockReceiveForm,
    StockZonesForm,
    VariantForm,
    VariantFormSet,
)
from ..models import (
    LOW_STOCK_THRESHOLD,
    MovementReason,
    Product,
    ProductImage,
    StockLevel,
    StockMovement,
    Variant,
)

# Product copy is checked against the brand kit's rules for the web / product page channel,
# in Japanese (the shop's copy language, whatever the console's UI language).
COPY_CHANNEL = services.COPY_CHANNEL
COPY_LOCALE = services.COPY_LOCALE


@console_view("inventory.view_product")
def products(request):
    query = request.GET.get("q", "").strip()
    category = request.GET.get("category", "").strip()
    published = request.GET.get("published", "")
    items = Product.objects.all()
    if query:
        items = items.search(query)
    if category:
        items = items.filter(category=category)
    if published in ("1", "0"):
        items = items.filter(is_active=published == "1")
    items = items.annotate(variant_count=Count("variants", distinct=True), min_price=Min("variants__price")).prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
    ).order_by("name", "id")
    page = paginate(request, items, per_page=50)
    context = {
        "page": page,
        "query": query,
        "category": category,
        "published": published,
        "categories": Product.objects.exclude(category="").order_by("category").values_list("category", flat=True)
        .distinct(),
        "can_create": request.user.has_perm("inventory.manage_catalogue"),
    }
    return render(request, htmx_template(request, "inventory/console/products.html", "results"), context)


def _map_service_errors(exc: ValidationError, form, formset) -> None:
    """Put the service's field errors (``variants.0.sku``, ``code``, ``image``) on the form fields."""
    for path, errors in exc.message_dict.items():
        parts = path.split(".")
        for message in errors:
            if parts[0] == "variants" and len(parts) == 3:
                index, field = int(parts[1]), parts[2]
                rows = [f for f in formset.forms if f.has_changed()]
                target = rows[index] if index < len(rows) else formset.forms[0]
                target.add_error(field if field in target.fields else None, message)
            elif parts[0] == "image":
                form.add_error("photo", message)
            elif parts[0] in form.fields:
                form.add_error(parts[0], message)
            else:
                form.add_error(None, message)


@console_view("inventory.manage_catalogue")
def product_create(request):
    if request.method == "POST":
        form = ProductForm(request.POST, request.FILES)
        formset = VariantFormSet(request.POST, prefix="variants")
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            variants = [
                services.VariantIn(sku=row["sku"], barcode=row["barcode"], price=row["price"],
                                   size=row.get("size", ""), color=row.get("color", ""))
                for row in (f.cleaned_data for f in formset.forms if f.has_changed() and f.cleaned_data)
            ]
            try:
                product = services.product_create(
                    code=data["code"], name=data["name"], category=data["category"],
                    description=data["description"], tax_class=data["tax_class"],
                    is_active=data["is_active"], variants=variants, photo=data.get("photo"),
                    acting_user=request.user,
                )
            except ValidationError as exc:
                _map_service_errors(exc, form, formset)
            else:
                messages.success(request, _("Product “%(name)s” was created.") % {"name": product.name})
                if product.lint_warnings:
                    # show the brand kit's remarks next to the description, where they can be fixed
                    _warn_lint(request, product.lint_warnings)
                    return redirect("console:product_edit", code=product.code)
                return redirect("console:product_detail", pk=product.pk)
    else:
        form = ProductForm()
        formset = VariantFormSet(prefix="variants")
    status = 400 if request.method == "POST" else 200
    _live_lint(form)
    return render(request, "inventory/console/product_form.html", {"form": form, "formset": formset}, status=status)


@console_view("inventory.view_product")
def product_detail(request, pk: int):
    product = get_object_or_404(
        Product.objects.prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        ),
        pk=pk,
    )
    locations = list(roles.scoped_locations(request.user).order_by("kind", "code"))
    availability = selectors.product_availability(product=product, locations=locations)
    levels = {
        (level.variant_id, level.location_id): level
        for level in selectors.stock_levels(locations=roles.scoped_locations(request.user)).filter(
            variant__product=product)
    }
    rows = [
        {"variant": item.variant, "total": item.total,
         "cells": [levels.get((item.variant.id, location.id)) for location in locations]}
        for item in availability
    ]
    context = {
        "product": product,
        "locations": locations,
        "rows": rows,
    }
    return render(request, "inventory/console/product_detail.html", context)


@console_view("inventory.add_stockmovement")
def stock_receive(request):
    locations = roles.scoped_locations(request.user).order_by("kind", "code")
    if request.method == "POST":
        form = StockReceiveForm(request.POST, locations=locations)
        if form.is_valid():
            data = form.cleaned_data
            roles.require_location(request.user, data["location"])
            try:
                movement = services.stock_receive(variant=data["code"], location=data["location"],
                                                  quantity=data["quantity"], reference=data["reference"],
                                                  acting_user=request.user)
            except InventoryError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Received %(qty)s × %(sku)s at %(location)s.") % {
                    "qty": movement.quantity, "sku": movement.variant.sku, "location": movement.location.name})
                url = request.path
                return redirect(f"{url}?location={movement.location_id}")
    else:
        initial = {}
        chosen = request.GET.get("location")
        if chosen:
            initial["location"] = chosen
        form = StockReceiveForm(locations=locations, initial=initial)
    recent = StockMovement.objects.filter(location__in=locations).select_related(
        "variant__product", "location", "acting_user").filter(reason="receipt")[:10]
    return render(request, "inventory/console/stock_receive.html", {"form": form, "recent": recent},
                  status=400 if request.method == "POST" else 200)


@console_view("inventory.view_stocklevel")
def stock(request):
    location, locations = location_choice(request)
    query = request.GET.get("q", "").strip()
    low_only = request.GET.get("low") == "1"
    levels = selectors.stock_levels(locations=roles.scoped_locations(request.user))
    if location is not None:
        levels = levels.filter(location=location)
    if query:
        key = search_key(query)
        levels = levels.filter(Q(variant__sku__icontains=query) | Q(variant__barcode=query)
                               | Q(variant__product__search_text__contains=key))
    if low_only:
        levels = levels.filter(available_qty__lte=LOW_STOCK_THRESHOLD)
    levels = selectors.with_in_transit(levels)
    page = paginate(request, levels, per_page=50)
    context = {
        "page": page,
        "transit": selectors.transfers_in_transit(locations=[location] if location else locations),
        "location": location,
        "locations": locations,
        "query": query,
        "low_only": low_only,
        "threshold": LOW_STOCK_THRESHOLD,
        "can_receive": request.user.has_perm("inventory.add_stockmovement"),
    }
    return render(request, htmx_template(request, "inventory/console/stock.html", "results"), context)


@console_view("inventory.view_stockmovement")
def ledger(request):
    location, locations = location_choice(request)
    movements = StockMovement.objects.filter(location__in=roles.scoped_locations(request.user))
    if location is not None:
        movements = movements.filter(location=location)
    query = request.GET.get("q", "").strip()
    if query:
        movements = movements.filter(Q(variant__sku__icontains=query) | Q(reference__icontains=query))
    reason = request.GET.get("reason", "")
    if reason in MovementReason.values:
        movements = movements.filter(reason=reason)
    movements = movements.select_related("variant__product", "location", "acting_user").order_by("-created_at", "-id")
    page = paginate(request, movements, per_page=100)
    # what each reference names, by the number people know it by (one call per kind of document)
    labels = selectors.reference_labels({m.reference for m in page}, user=request.user)
    for movement in page:
        movement.reference_label = labels.get(movement.reference)
    context = {"page": page, "location": location, "locations": locations, "query": query, "reason": reason,
               "reasons": MovementReason.choices}
    return render(request, htmx_template(request, "inventory/console/ledger.html", "results"), context)


# --- product editing and the brand kit's copy check -------------------------------------------

def _live_lint(form) -> None:
    """The description box asks the brand kit for remarks as the user types (htmx)."""
    from django.urls import reverse

    form.fields["description"].widget.attrs.update({
        "hx-get": reverse("console:product_lint"), "hx-trigger": "input changed delay:400ms",
        "hx-target": "#description-lint", "hx-swap": "innerHTML", "aria-describedby": "description-lint",
    })


def _warn_lint(request, violations) -> None:
    messages.warning(request, _("Saved, but the brand kit has %(n)d remark(s) on the description.")
                     % {"n": len(violations)})


def _lint_context(text: str) -> dict:
    violations = brandkit.lint(text, COPY_CHANNEL, COPY_LOCALE) if text.strip() else []
    return {"violations": violations, "segments": highlight(text, violations), "text": text,
            "checked": bool(text.strip())}


@console_view("inventory.manage_catalogue")
def product_lint(request):
    """The brand kit's check-my-copy results for a product description (htmx, as staff type)."""
    text = request.GET.get("description", "")[:20_000]
    return render(request, "inventory/console/product_lint.html", _lint_context(text))


def _product_for_edit(code: str) -> Product:
    return get_object_or_404(
        Product.objects.prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        ),
        code=code,
    )


@console_view("inventory.manage_catalogue")
def product_edit(request, code: str):
    """Edit details, add a variant, add a photo: three forms on one page, told apart by
    the submit button's ``form`` value. Each works without JavaScript."""
    product = _product_for_edit(code)
    details = ProductEditForm(initial={
        "name": product.name, "category": product.category, "tax_class": product.tax_class,
        "stock_policy": product.stock_policy, "is_active": product.is_active, "description": product.description,
        "return_days": product.return_days,
    })
    variant_form = VariantForm(prefix="variant")
    photo_form = PhotoAddForm(prefix="photo")
    which = request.POST.get("form", "") if request.method == "POST" else ""
    if which == "details":
        details = ProductEditForm(request.POST)
        if details.is_valid():
            try:
                services.product_update(product=product, acting_user=request.user, **details.cleaned_data)
            except ValidationError as exc:
                _map_service_errors(exc, details, None)
            else:
                messages.success(request, _("Product “%(name)s” was saved.") % {"name": product.name})
                if product.lint_warnings:
                    _warn_lint(request, product.lint_warnings)
                return redirect("console:product_edit", code=product.code)
    elif which == "variant":
        variant_form = VariantForm(request.POST, prefix="variant")
        if variant_form.is_valid():
            try:
                variant = services.variant_add(product=product, acting_user=request.user, **variant_form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        variant_form.add_error(field if field in variant_form.fields else None, message)
            else:
                messages.success(request, _("Variant %(sku)s was added.") % {"sku": variant.sku})
                return redirect("console:product_edit", code=product.code)
    elif which == "photo":
        photo_form = PhotoAddForm(request.POST, request.FILES, prefix="photo")
        if photo_form.is_valid():
            try:
                services.product_image_add(product=product, upload=photo_form.cleaned_data["photo"],
                                           alt=photo_form.cleaned_data["alt"], acting_user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    photo_form.add_error("photo", message)
            else:
                messages.success(request, _("The photo was added."))
                return redirect("console:product_edit", code=product.code)
    _live_lint(details)
    description = details["description"].value() or ""
    context = {
        "product": product,
        "form": details,
        "variant_form": variant_form,
        "photo_form": photo_form,
        "lint": _lint_context(description),
    }
    return render(request, "inventory/console/product_edit.html", context,
                  status=400 if request.method == "POST" else 200)


# --- stock adjustments --------------------------------------------------------------------

@console_view("inventory.add_stockmovement")
def stock_adjust(request):
    locations = roles.scoped_locations(request.user).order_by("kind", "code")
    if request.method == "POST":
        form = StockAdjustForm(request.POST, locations=locations)
        if form.is_valid():
            data = form.cleaned_data
            roles.require_location(request.user, data["location"])
            try:
                movement = services.stock_adjust(variant=data["code"], location=data["location"],
                                                 quantity=data["quantity"], note=data["note"],
                                                 acting_user=request.user)
            except InvalidStockOperation as exc:
                form.add_error("quantity", _reserved_message(data) or str(exc))
            else:
                messages.success(request, _("Adjusted %(sku)s at %(location)s by %(qty)+d.") % {
                    "qty": movement.quantity, "sku": movement.variant.sku, "location": movement.location.name})
                return redirect(f"{request.path}?location={movement.location_id}")
    else:
        initial = {"location": request.GET["location"]} if request.GET.get("location") else {}
        form = StockAdjustForm(locations=locations, initial=initial)
    recent = StockMovement.objects.filter(location__in=locations, reason=MovementReason.ADJUSTMENT).select_related(
        "variant__product", "location", "acting_user")[:10]
    return render(request, "inventory/console/stock_adjust.html", {"form": form, "recent": recent},
                  status=400 if request.method == "POST" else 200)


def _reserved_message(data) -> str:
    """Why a take-off was refused, in numbers: units held for orders cannot be written off."""
    level = StockLevel.objects.filter(variant=data["code"], location=data["location"]).first()
    if level is None or data["quantity"] >= 0:
        return ""
    free = max(level.on_hand - level.reserved, 0)
    return _("Only %(free)d of the %(on_hand)d units on hand are free: %(reserved)d are reserved for orders. "
             "Release or cancel those orders first, or take off at most %(free)d.") % {
        "free": free, "on_hand": level.on_hand, "reserved": level.reserved}


# --- zones and bins ---------------------------------------------------------------------------

ZONES_PAGE_SIZE = 100


@console_view("inventory.set_stock_zone")
def stock_zones(request):
    """Where stock sits at a location: each item's zone / bin, set one at a time (the table's
    row forms) or in bulk (lines pasted, typed or scanned: SKU or barcode, then zone). One
    service, ``stock_zones_set``, for both and for the API; a bulk entry with any bad line
    changes nothing and names every bad line, the text kept to correct."""
    location, locations = location_choice(request, default_first=True)
    if location is None:
        raise PermissionDenied(_("No location is available to you."))
    form = StockZonesForm()
    line_errors: list[str] = []
    bad_lines = 0
    status = 200
    if request.method == "POST":
        roles.require_location(request.user, location)
        back = f"{request.path}?location={location.pk}"
        if request.POST.get("action") == "one":
            code, zone = request.POST.get("code", ""), request.POST.get("zone", "")
            try:
                (level,) = services.stock_zones_set(location=location, rows=[services.ZoneIn(code=code, zone=zone)],
                                                     acting_user=request.user)
            except ZonesInvalid as exc:
                messages.error(request, " ".join(error.message for error in exc.errors))
            else:
                messages.success(request, _("%(sku)s is now in %(zone)s.") % {
                    "sku": level.variant.sku, "zone": level.zone or _("no zone")})
            return redirect(f"{back}&q={request.POST.get('q', '')}" if request.POST.get("q") else back)
        form = StockZonesForm(request.POST)
        if form.is_valid():
            try:
                levels = services.stock_zones_set(location=location, rows=form.rows, acting_user=request.user)
            except ZonesInvalid as exc:
                line_errors = [_("Line %(line)d: %(message)s") % {"line": form.line_numbers[error.row],
                                                                    "message": error.message}
                               for error in exc.errors]
                bad_lines = len({form.line_numbers[error.row] for error in exc.errors})
                status = 400
            else:
                messages.success(request, _("Zones set for %(n)d items at %(location)s.") % {
                    "n": len(levels), "location": location.name})
                return redirect(back)
        else:
            status = 400
    query = request.GET.get("q", "").strip()
    unzoned = request.GET.get("unzoned") == "1"
    page = paginate(request, selectors.stock_zones(location=location, query=query, unzoned=unzoned),
                    per_page=ZONES_PAGE_SIZE)
    context = {"location": location, "locations": locations, "form": form, "line_errors": line_errors,
               "bad_lines": bad_lines, "page": page, "query": query, "unzoned": unzoned,
               "choose_location": not roles.is_scoped(request.user) or len(locations) > 1}
    return render(request, "inventory/console/stock_zones.html", context, status=status)
