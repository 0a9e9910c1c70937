"""Every write of the inventory domain. Stock changes use conditional UPDATEs on
StockLevel so that concurrent requests can never oversell, and every change of on_hand
writes exactly one immutable StockMovement in the same transaction."""

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from brandkit import services as brandkit
from brandkit.linting import ERROR as LINT_ERROR
from brandkit.linting import Violation
from brandkit.models import Channel as BrandChannel
from kernel import channels, images
from kernel.audit import audit_changes, audit_record, audit_record_many, audit_values
from kernel.errors import RowError, row_errors
from kernel.events import publish_many
from kernel.models import Location, LocationKind
from kernel.subjects import sku_subject

from . import domain_events
from .errors import (
    InvalidStockOperation,
    OutOfStock,
    ShortLine,
    StockImportInvalid,
    VariantInUse,
    ZonesInvalid,
)
from .models import (
    MovementReason,
    Product,
    ProductImage,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    StockPolicy,
    Variant,
)
from .validators import normalize_barcode, normalize_zone, validate_zone

# Kinds of location that sell at a till: each gets its own POS sales channel.
SELLING_KINDS = (LocationKind.STORE, LocationKind.POPUP)


@transaction.atomic
def location_create(
    *,
    code: str,
    name: str,
    kind: str,
    prefecture: str = "",
    postal_code: str = "",
    address: str = "",
    phone: str = "",
    opening_hours: str = "",
    offers_pickup: bool = False,
    ships_orders: bool = False,
    takes_returns: bool | None = None,
    is_active: bool = True,
    acting_user=None,
) -> Location:
    """Create a location; a store or pop-up gets its POS channel (``pos-<code>``) in the same
    transaction, so it can sell from day one. ``takes_returns`` defaults to every kind but a
    locker (nobody there to take one). Raise ValidationError naming every bad field."""
    location = Location(
        code=code.strip(), name=name.strip(), kind=kind, prefecture=prefecture, postal_code=postal_code.strip(),
        address=address.strip(), phone=phone.strip(), opening_hours=opening_hours.strip(),
        offers_pickup=offers_pickup, ships_orders=ships_orders, is_active=is_active,
        takes_returns=kind != LocationKind.LOCKER if takes_returns is None else takes_returns,
    )
    location.full_clean()
    location.save()
    if location.kind in SELLING_KINDS:
        channels.pos_channel(location)
    audit_record(actor=acting_user, action="location_create", obj=location,
                 changes=audit_values(location, ["code", *sorted(LOCATION_EDITABLE_FIELDS)]))
    return location


LOCATION_EDITABLE_FIELDS = frozenset({"name", "kind", "prefecture", "postal_code", "address", "phone",
                                      "opening_hours", "offers_pickup", "ships_orders", "is_active",
                                      "takes_returns"})


@transaction.atomic
def location_update(*, location: Location, acting_user=None, **fields) -> Location:
    """Change a location's details (not its code: it names the POS channel and is in the API).
    A location that becomes a store or pop-up gets its POS channel. Raise ValidationError naming
    every bad field."""
    unknown = set(fields) - LOCATION_EDITABLE_FIELDS
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    before = audit_values(location, fields)
    for name, value in fields.items():
        setattr(location, name, value.strip() if isinstance(value, str) and name != "kind" else value)
    location.full_clean()
    location.save()
    if location.kind in SELLING_KINDS:
        channels.pos_channel(location)
    audit_record(actor=acting_user, action="location_update", obj=location, changes=audit_changes(before, location))
    return location


@transaction.atomic
def location_delete(*, location: Location, acting_user=None) -> None:
    """Remove a location entered by mistake. One with stock history, orders, staff or a POS
    channel cannot go (``ProtectedError``): mark it inactive instead."""
    audit_record(actor=acting_user, action="location_delete", obj=location,
                 changes=audit_values(location, ["code", "name", "kind"]))
    location.delete()


@dataclass(frozen=True)
class VariantIn:
    sku: str
    barcode: str
    price: int
    size: str = ""
    color: str = ""


def product_create(
    *,
    code: str,
    name: str,
    variants: list[VariantIn],
    description: str = "",
    category: str = "",
    tax_class: str = "standard",
    stock_policy: str = StockPolicy.NORMAL,
    is_active: bool = True,
    photo: UploadedFile | None = None,
    lint_source: str = "product-create",
    acting_user=None,
) -> Product:
    """Create a product with its variants (and its first photo, when given), all or nothing.

    The description is checked against the brand kit here, whoever calls (console, API, admin,
    import): its errors are field errors on ``description`` among the others, its warnings are
    returned on the product as ``lint_warnings``. Raise ValidationError naming every bad field."""
    lint_errors, warnings = _copy_check(description, source=lint_source)
    product = _product_create(code=code, name=name, variants=variants, description=description, category=category,
                              tax_class=tax_class, stock_policy=stock_policy, is_active=is_active, photo=photo,
                              errors=lint_errors, acting_user=acting_user)
    product.lint_warnings = warnings
    return product


@transaction.atomic
def _product_create(*, code, name, variants, description, category, tax_class, stock_policy, is_active, photo,
                    errors: dict[str, list[str]], acting_user) -> Product:
    if not variants:
        errors.setdefault("variants", []).append(_("A product needs at least one variant."))
    product = Product(
        code=code.strip(),
        name=name.strip(),
        description=description,
        category=category,
        tax_class=tax_class,
        stock_policy=stock_policy,
        is_active=is_active,
    )
    try:
        product.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    seen_skus: set[str] = set()
    seen_barcodes: set[str] = set()
    rows = []
    for index, item in enumerate(variants):
        variant = Variant(
            product=product,
            sku=item.sku.strip(),
            barcode=normalize_barcode(item.barcode),
            price=item.price,
            size=item.size.strip(),
            color=item.color.strip(),
            position=index,
        )
        try:
            variant.full_clean(exclude=["product"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"variants.{index}.{field}", []).extend(messages)
        if variant.sku in seen_skus:
            errors.setdefault(f"variants.{index}.sku", []).append(_("This SKU is used twice."))
        if variant.barcode in seen_barcodes:
            errors.setdefault(f"variants.{index}.barcode", []).append(_("This barcode is used twice."))
        seen_skus.add(variant.sku)
        seen_barcodes.add(variant.barcode)
        rows.append(variant)
    if errors:
        raise ValidationError(errors)
    product.save()
    for variant in rows:
        variant.product = product
    Variant.objects.bulk_create(rows)
    audit_record(actor=acting_user, action="product_create", obj=product, changes={
        **audit_values(product, PRODUCT_AUDIT_FIELDS),
        "variants": [audit_values(variant, VARIANT_AUDIT_FIELDS) for variant in rows]})
    if photo is not None:
        product_image_add(product=product, upload=photo, acting_user=acting_user)
    return product


RENDITION_WIDTHS = {"thumbnail": 480, "large": 1200}
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024


def _open_image(upload: UploadedFile | BytesIO) -> Image.Image:
    """The upload decoded under the shared intake rule (``kernel.images``: JPEG, PNG or WebP
    only, bytes and pixels bounded before decoding), upright; errors on ``image``."""
    try:
        return images.open_image(upload, max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_IMAGE_PIXELS)
    except ValidationError as exc:
        raise ValidationError({"image": exc.error_list}) from exc


def _rendition(image: Image.Image, width: int) -> Image.Image:
    """``image`` fitted into ``width`` × ``4 * width`` (never enlarged), in RGB. Pass the next larger
    rendition rather than the original: each step then works on as few pixels as possible."""
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")  # palette images would be resized by nearest neighbour
    scale = min(width / image.width, width * 4 / image.height)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image if image.mode == "RGB" else image.convert("RGB")


def _webp(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="WEBP", quality=82, method=4)
    return buffer.getvalue()


@transaction.atomic
def product_image_add(*, product: Product, upload: UploadedFile, alt: str = "", acting_user=None) -> ProductImage:
    """Store an uploaded photo and make WebP renditions with Pillow.

    The stored original is the decoded photo encoded again in its own format (JPEG, PNG or
    WebP; no metadata except the colour profile) and named from that format: nothing of the
    uploaded file (its name, extension, or bytes appended to the image) reaches ``/media/``."""
    image = _open_image(upload)
    image_format = image.format
    position = product.images.count()
    record = ProductImage(product=product, alt=alt or product.name, width=image.width, height=image.height,
                          position=position)
    stem = f"{product.code}-{position}"
    record.original.save(f"{stem}-original.{images.EXTENSIONS[image_format]}",
                         ContentFile(images.encode(image, image_format)), save=False)
    source = image
    for field, width in sorted(RENDITION_WIDTHS.items(), key=lambda item: -item[1]):  # largest first
        source = _rendition(source, width)
        getattr(record, field).save(f"{stem}-{width}.webp", ContentFile(_webp(source)), save=False)
    record.save()
    audit_record(actor=acting_user, action="product_image_add", obj=product,
                 changes={"image": record.pk, "file": record.original.name, "alt": record.alt})
    return record


# The one order in which every service takes StockLevel row locks: by location, then by
# variant (the row's natural key, one row per pair). Two transactions that both touch rows A
# and B then both lock A first, so one waits for the other instead of deadlocking (orders
# listing the same SKUs as [A, B] and [B, A]; a release crossing a reservation).
STOCK_LOCK_ORDER = ("location_id", "variant_id")


def _stock_row(variant: Variant, location: Location) -> None:
    """Make sure the StockLevel row exists (race-safe)."""
    if not StockLevel.objects.filter(variant=variant, location=location).exists():
        try:
            with transaction.atomic():
                StockLevel.objects.create(variant=variant, location=location)
        except IntegrityError:
            pass


@transaction.atomic
def stock_receive(
    *, variant: Variant, location: Location, quantity: int, reference: str = "", note: str = "", acting_user=None
) -> StockMovement:
    """Book received goods into on_hand, with their ledger row."""
    if quantity <= 0:
        raise InvalidStockOperation(_("Received quantity must be at least 1."))
    return _move(variant=variant, location=location, quantity=quantity, reason=MovementReason.RECEIPT,
                 reference=reference, note=note, acting_user=acting_user)


@transaction.atomic
def stock_adjust(
    *, variant: Variant, location: Location, quantity: int, note: str, reference: str = "", acting_user=None
) -> StockMovement:
    """Correct on_hand by a signed quantity (damage, loss, found); never below reserved."""
    if quantity == 0:
        raise InvalidStockOperation(_("An adjustment must change the quantity."))
    return _move(variant=variant, location=location, quantity=quantity, reason=MovementReason.ADJUSTMENT,
                 reference=reference, note=note, acting_user=acting_user)


@transaction.atomic
def stock_return(
    *, variant: Variant, location: Location, quantity: int, reference: str, note: str = "", acting_user=None
) -> StockMovement:
    """Returned units come back into on_hand at the location that took them (reason RETURN),
    with their ledger row; ``reference`` names the return (its number)."""
    if quantity <= 0:
        raise InvalidStockOperation(_("Returned quantity must be at least 1."))
    return _move(variant=variant, location=location, quantity=quantity, reason=MovementReason.RETURN,
                 reference=reference, note=note, acting_user=acting_user)


def _move(*, variant, location, quantity, reason, reference, note, acting_user) -> StockMovement:
    _stock_row(variant, location)
    rows = StockLevel.objects.filter(variant=variant, location=location)
    if quantity < 0:
        rows = rows.filter(on_hand__gte=F("reserved") - quantity)
    if rows.update(on_hand=F("on_hand") + quantity, updated_at=timezone.now()) != 1:
        raise InvalidStockOperation(_("Not enough unreserved stock for this change."))
    if quantity > 0:
        _announce_available({(variant.pk, location.pk): quantity})
    return StockMovement.objects.create(
        variant=variant, location=location, quantity=quantity, reason=reason,
        reference=reference, note=note, acting_user=acting_user,
    )


def _announce_available(added: dict[tuple[int, int], int]) -> None:
    """Publish ``inventory.stock_available`` for each (variant id, location id) whose available
    went from 0 or less to more than 0 when ``added`` units came free there. Called right after
    the UPDATE, in its transaction and under its row lock: one read of the rows tells."""
    levels = (StockLevel.objects.with_available().select_related("variant", "location")
              .filter(variant_id__in={v for v, _l in added}, location_id__in={loc for _v, loc in added}))
    crossed = [level for level in levels if (level.variant_id, level.location_id) in added
               and level.available_qty > 0 >= level.available_qty - added[level.variant_id, level.location_id]]
    if crossed:
        publish_many(domain_events.STOCK_AVAILABLE, items=[
            (domain_events.StockAvailable(variant_id=level.variant_id, sku=level.variant.sku,
                                          location_id=level.location_id, location=level.location.code,
                                          available=level.available_qty),
             sku_subject(level.variant.sku)) for level in crossed])


@transaction.atomic
def stock_reserve(
    *, location: Location, lines: Iterable[tuple[Variant, int]], reference: str, expires_at=None
) -> list[Reservation]:
    """Hold stock for ``reference``. All lines or none: raise OutOfStock naming every
    short line, after rolling back whatever was already held in this call.

    Each line is one conditional UPDATE (``on_hand - reserved - safety >= qty``), so of
    two buyers racing for the last unit exactly one update matches a row. The lines are
    updated in variant primary-key order (see ``STOCK_LOCK_ORDER``), whatever order the
    customer listed them in.
    """
    lines = list(lines)
    if any(quantity <= 0 for _variant, quantity in lines):
        raise InvalidStockOperation(_("Quantity must be at least 1."))
    short: list[ShortLine] = []
    reservations: list[Reservation] = []
    for variant, quantity in sorted(lines, key=lambda line: line[0].pk):
        rows = StockLevel.objects.filter(variant=variant, location=location)
        if variant.product.stock_policy == StockPolicy.NORMAL:
            rows = rows.filter(on_hand__gte=F("reserved") + F("safety_stock") + quantity)
        else:
            _stock_row(variant, location)
        updated = rows.update(reserved=F("reserved") + quantity, updated_at=timezone.now())
        if updated != 1:
            level = StockLevel.objects.filter(variant=variant, location=location).first()
            short.append(ShortLine(sku=variant.sku, location=location.code, requested=quantity,
                                   available=level.available if level else 0))
            continue
        reservations.append(Reservation(variant=variant, location=location, quantity=quantity,
                                        reference=reference, expires_at=expires_at))
    if short:
        listed = [variant.sku for variant, _quantity in lines]
        short.sort(key=lambda line: listed.index(line.sku))  # named in the order the customer listed them
        raise OutOfStock(short)  # leaving the atomic block undoes the lines already held
    listed = [variant.pk for variant, _quantity in lines]
    reservations.sort(key=lambda reservation: listed.index(reservation.variant_id))
    return Reservation.objects.bulk_create(reservations)


def _active_holds(reference: str) -> list[Reservation]:
    """The active holds of ``reference``, locked, in ``STOCK_LOCK_ORDER``: the StockLevel rows
    they update are then locked in that order too."""
    return list(Reservation.objects.select_for_update().active().filter(reference=reference)
                .order_by(*STOCK_LOCK_ORDER, "pk"))


@transaction.atomic
def reservation_release(*, reference: str) -> int:
    """Give back every active hold of ``reference``; returns the units released."""
    released, freed = 0, {}
    for reservation in _active_holds(reference):
        StockLevel.objects.filter(variant_id=reservation.variant_id, location_id=reservation.location_id).update(
            reserved=F("reserved") - reservation.quantity, updated_at=timezone.now()
        )
        released += reservation.quantity
        key = (reservation.variant_id, reservation.location_id)
        freed[key] = freed.get(key, 0) + reservation.quantity
    if freed:
        _announce_available(freed)
    Reservation.objects.active().filter(reference=reference).update(
        status=ReservationStatus.RELEASED, closed_at=timezone.now()
    )
    return released


@transaction.atomic
def reservation_reduce(*, reference: str, variant_id: int, quantity: int) -> None:
    """Give back ``quantity`` units of the active hold of ``reference`` on ``variant_id`` (part of
    an order cancelled): the hold keeps the rest, and a released hold of ``quantity`` records
    what was given back. The whole hold given back is ``reservation_release``'s way of ending.
    Raises InvalidStockOperation when the hold has fewer units (nothing changes then)."""
    if quantity <= 0:
        raise InvalidStockOperation(_("Quantity must be at least 1."))
    holds = [r for r in _active_holds(reference) if r.variant_id == variant_id]
    if sum(r.quantity for r in holds) < quantity:
        raise InvalidStockOperation(_("Fewer units are held than are to be given back."))
    left, now = quantity, timezone.now()
    for hold in holds:
        if left == 0:
            break
        take = min(left, hold.quantity)
        StockLevel.objects.filter(variant_id=hold.variant_id, location_id=hold.location_id).update(
            reserved=F("reserved") - take, updated_at=now)
        if take == hold.quantity:
            Reservation.objects.filter(pk=hold.pk).update(status=ReservationStatus.RELEASED, closed_at=now)
        else:
            Reservation.objects.filter(pk=hold.pk).update(quantity=F("quantity") - take)
            Reservation.objects.create(variant_id=hold.variant_id, location_id=hold.location_id, quantity=take,
                                       reference=reference, status=ReservationStatus.RELEASED, closed_at=now)
        _announce_available({(hold.variant_id, hold.location_id): take})
        left -= take


@transaction.atomic
def reservation_fulfil(*, reference: str, reason: str = MovementReason.SALE, acting_user=None) -> list[StockMovement]:
    """The held units leave the building: on_hand and reserved drop together, one ledger
    row per line. Safe to call twice: a fulfilled reservation is not active any more."""
    movements = []
    now = timezone.now()
    for reservation in _active_holds(reference):
        updated = StockLevel.objects.filter(
            variant_id=reservation.variant_id,
            location_id=reservation.location_id,
            on_hand__gte=reservation.quantity,
            reserved__gte=reservation.quantity,
        ).update(on_hand=F("on_hand") - reservation.quantity, reserved=F("reserved") - reservation.quantity,
                 updated_at=now)
        if updated != 1:
            raise InvalidStockOperation(_("Stock for %(sku)s is inconsistent.") % {"sku": reservation.variant_id})
        movements.append(StockMovement(variant_id=reservation.variant_id, location_id=reservation.location_id,
                                       quantity=-reservation.quantity, reason=reason, reference=reference,
                                       acting_user=acting_user))
    Reservation.objects.active().filter(reference=reference).update(status=ReservationStatus.FULFILLED, closed_at=now)
    return StockMovement.objects.bulk_create(movements)


@transaction.atomic
def stock_sell(*, location: Location, lines: Iterable[tuple[Variant, int]], reference: str,
               acting_user=None, from_held: bool = False) -> list[StockMovement]:
    """Units sold over the counter (the till): they leave ``on_hand`` at ``location`` at once,
    with no reservation round trip, one ledger row per line (reason ``sale``). All lines or
    none: raise OutOfStock naming every short line; nothing moves then.

    A product sold from stock only (``StockPolicy.NORMAL``) keeps its available at 0 or more:
    ``on_hand - reserved - safety >= quantity``. A backorder or pre-order product may dip into
    what is held for others (the customer has the unit in hand) but never takes on_hand below
    zero. ``from_held``: every product may, as a backorder product does (a sale a till made
    offline: the unit has already left the shop); the caller tells staff what is now short.
    Each line is one conditional UPDATE, in ``STOCK_LOCK_ORDER``."""
    lines = list(lines)
    if any(quantity <= 0 for _variant, quantity in lines):
        raise InvalidStockOperation(_("Quantity must be at least 1."))
    short: list[ShortLine] = []
    movements: list[StockMovement] = []
    now = timezone.now()
    for variant, quantity in sorted(lines, key=lambda line: line[0].pk):
        rows = StockLevel.objects.filter(variant=variant, location=location)
        if variant.product.stock_policy == StockPolicy.NORMAL and not from_held:
            rows = rows.filter(on_hand__gte=F("reserved") + F("safety_stock") + quantity)
        else:
            rows = rows.filter(on_hand__gte=quantity)
        if rows.update(on_hand=F("on_hand") - quantity, updated_at=now) != 1:
            level = StockLevel.objects.filter(variant=variant, location=location).first()
            short.append(ShortLine(sku=variant.sku, location=location.code, requested=quantity,
                                   available=level.available if level else 0))
            continue
        movements.append(StockMovement(variant=variant, location=location, quantity=-quantity,
                                       reason=MovementReason.SALE, reference=reference, acting_user=acting_user))
    if short:
        listed = [variant.sku for variant, _quantity in lines]
        short.sort(key=lambda line: listed.index(line.sku))
        raise OutOfStock(short)  # leaving the atomic block undoes the lines already taken
    return StockMovement.objects.bulk_create(movements)


@transaction.atomic
def stock_sale_reverse(*, location: Location, lines: Iterable[tuple[Variant, int]], reference: str, note: str,
                       acting_user=None) -> list[StockMovement]:
    """A till sale undone (voided) before the customer left: its units go back on hand at
    ``location``, one ledger row per line (reason ``return``, the sale's ``reference``)."""
    lines = sorted(lines, key=lambda line: line[0].pk)
    if any(quantity <= 0 for _variant, quantity in lines):
        raise InvalidStockOperation(_("Quantity must be at least 1."))
    now = timezone.now()
    movements = []
    for variant, quantity in lines:
        _stock_row(variant, location)
        StockLevel.objects.filter(variant=variant, location=location).update(
            on_hand=F("on_hand") + quantity, updated_at=now)
        movements.append(StockMovement(variant=variant, location=location, quantity=quantity,
                                       reason=MovementReason.RETURN, reference=reference, note=note,
                                       acting_user=acting_user))
    _announce_available({(variant.pk, location.pk): quantity for variant, quantity in lines})
    return StockMovement.objects.bulk_create(movements)


# What the audit trail keeps of a new product and its variants.
PRODUCT_AUDIT_FIELDS = ["code", "name", "description", "category", "tax_class", "stock_policy", "is_active"]
VARIANT_AUDIT_FIELDS = ["sku", "barcode", "price", "size", "color", "position"]


PRODUCT_EDITABLE_FIELDS = frozenset({"name", "description", "category", "tax_class", "stock_policy", "is_active",
                                     "return_days"})


def product_update(*, product: Product, acting_user=None, lint_source: str = "product-edit", **fields) -> Product:
    """Change a product's details (not its code: the code is in web addresses and the API).

    A new description is checked against the brand kit here, like in ``product_create``: its
    errors refuse the change, its warnings come back as ``product.lint_warnings``. Raise
    ValidationError naming every bad field; nothing is saved then."""
    unknown = set(fields) - PRODUCT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    errors, warnings = ({}, []) if "description" not in fields else _copy_check(fields["description"],
                                                                                 source=lint_source)
    _product_update(product=product, fields=fields, errors=errors, acting_user=acting_user)
    product.lint_warnings = warnings
    return product


@transaction.atomic
def _product_update(*, product: Product, fields: dict, errors: dict[str, list[str]], acting_user) -> None:
    before = audit_values(product, fields)
    for name, value in fields.items():
        setattr(product, name, value.strip() if name in ("name", "category") else value)
    try:
        product.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        product.refresh_from_db(fields=sorted(fields))  # the caller's instance shows what is stored
        raise ValidationError(errors)
    product.save()
    audit_record(actor=acting_user, action="product_update", obj=product, changes=audit_changes(before, product))


@transaction.atomic
def variant_add(
    *, product: Product, sku: str, barcode: str, price: int, size: str = "", color: str = "", acting_user=None
) -> Variant:
    """Add one variant (size/colour) to an existing product, after its current ones.
    SKU and JAN must be unique across the catalogue; the JAN's check digit is validated."""
    last = product.variants.order_by("-position").values_list("position", flat=True).first()
    variant = Variant(
        product=product,
        sku=sku.strip(),
        barcode=normalize_barcode(barcode),
        price=price,
        size=size.strip(),
        color=color.strip(),
        position=0 if last is None else last + 1,
    )
    variant.full_clean()
    variant.save()
    audit_record(actor=acting_user, action="variant_add", obj=product,
                 changes=audit_values(variant, VARIANT_AUDIT_FIELDS))
    return variant


VARIANT_EDITABLE_FIELDS = frozenset({"price", "size", "color", "barcode", "position"})


@transaction.atomic
def variant_update(*, variant: Variant, acting_user=None, **fields) -> Variant:
    """Change a variant's price, size, colour, JAN or place in the list (not its SKU: the SKU is
    in carts, orders and the API). Raise ValidationError naming every bad field."""
    unknown = set(fields) - VARIANT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    before = audit_values(variant, fields)
    for name, value in fields.items():
        if name == "barcode":
            value = normalize_barcode(value)
        elif name in ("size", "color"):
            value = value.strip()
        setattr(variant, name, value)
    variant.full_clean()
    variant.save()
    audit_record(actor=acting_user, action="variant_update", obj=variant.product,
                 changes={"sku": variant.sku, **audit_changes(before, variant)})
    return variant


@transaction.atomic
def variant_delete(*, variant: Variant, acting_user=None) -> None:
    """Remove a variant entered by mistake, with its empty stock rows. One with stock movements,
    holds or order lines cannot go: VariantInUse (the history refers to it)."""
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.movements.exists() or variant.reservations.exists():
        raise VariantInUse(variant.sku)
    audit_record(actor=acting_user, action="variant_delete", obj=variant.product,
                 changes=audit_values(variant, VARIANT_AUDIT_FIELDS))
    try:
        with transaction.atomic():
            variant.delete()
    except ProtectedError:  # order lines (the orders domain, above this one) or other history
        raise VariantInUse(variant.sku) from None


@transaction.atomic
def product_delete(*, product: Product, acting_user=None) -> None:
    """Remove a product entered by mistake, with its variants, photos and empty stock rows. A
    product that has stock history, holds or orders cannot go (``ProtectedError``): unpublish it."""
    audit_record(actor=acting_user, action="product_delete", obj=product, changes={
        **audit_values(product, ["code", "name"]), "variants": list(product.variants.values_list("sku", flat=True))})
    product.delete()


# --- the brand kit's check of product copy ------------------------------------------------

# Product copy is checked against the brand kit's rules for the web / product page channel,
# in Japanese (the shop's copy language, whatever the UI language of the caller).
COPY_CHANNEL = BrandChannel.WEB
COPY_LOCALE = "ja"


def _copy_check(description: str, *, source: str) -> tuple[dict[str, list[str]], list[Violation]]:
    """The brand kit's check of a product description that is being saved: the errors (as field
    errors on ``description``) and the other remarks. The check is logged under ``source`` for
    the channel's consistency score; the product services call this before opening their
    transaction, so a refused save still counts as a check with errors."""
    if not description.strip():
        return {}, []
    violations = brandkit.lint(description, COPY_CHANNEL, COPY_LOCALE, record=source)
    errors = [_("Brand kit: %(message)s") % {"message": v.message} for v in violations if v.severity == LINT_ERROR]
    return ({"description": errors} if errors else {}), [v for v in violations if v.severity != LINT_ERROR]


# --- opening balances: the stock a shop brings when it moves to Omnishop --------------------

@dataclass(frozen=True)
class StockBalanceIn:
    """What is on the shelf of one variant at one location when the shop starts with Omnishop."""

    sku: str
    location: str  # location code
    on_hand: int
    safety_stock: int = 0


IMPORT_REFERENCE_MAX_LENGTH = StockMovement._meta.get_field("reference").max_length


@transaction.atomic
def stock_import(*, rows: Iterable[StockBalanceIn], source: str, acting_user=None) -> list[StockLevel]:
    """Book the opening balances of a shop that moves to Omnishop: for each (variant, location)
    its on-hand quantity (one ledger row, reason "opening balance", reference ``source``) and
    its safety stock. A migration brings today's balances, not the old system's history of
    receipts and sales: past orders come in through ``orders.services.orders_import``, which
    moves no stock, so the ledger of every level starts here and still sums to on_hand.

    Only for stock Omnishop does not hold yet: a (variant, location) with stock, holds or
    ledger rows is refused (book a receipt or an adjustment instead). All or nothing: raise
    StockImportInvalid naming every bad row; nothing is written then. Publishes no
    ``inventory.stock_available``: stock that was on the shelf before the shop started with
    Omnishop did not come back for anyone."""
    rows = list(rows)
    source = (source or "").strip()
    if not source or len(source) > IMPORT_REFERENCE_MAX_LENGTH:
        raise ValidationError({"source": [_("Name the import in at most %(n)d characters.") % {
            "n": IMPORT_REFERENCE_MAX_LENGTH}]})
    variants = {v.sku: v for v in Variant.objects.filter(sku__in={row.sku for row in rows})}
    locations = {loc.code: loc for loc in Location.objects.filter(code__in={row.location for row in rows})}
    levels = {(level.variant_id, level.location_id): level for level in StockLevel.objects.filter(
        variant__in=variants.values(), location__in=locations.values())}
    moved = set(StockMovement.objects.filter(variant__in=variants.values(), location__in=locations.values())
                .values_list("variant_id", "location_id").distinct())
    held = set(Reservation.objects.filter(variant__in=variants.values(), location__in=locations.values())
               .values_list("variant_id", "location_id").distinct())
    problems: list[RowError] = []
    seen: set[tuple[int, int]] = set()
    for index, row in enumerate(rows):
        variant, location = variants.get(row.sku), locations.get(row.location)
        errors: dict[str, list[str]] = {}
        if variant is None:
            errors["sku"] = [_("Unknown SKU: %(sku)s") % {"sku": row.sku}]
        if location is None:
            errors["location"] = [_("Unknown location: %(code)s") % {"code": row.location}]
        for name in ("on_hand", "safety_stock"):
            value = getattr(row, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors[name] = [_("Give a whole number of at least 0.")]
        if variant is not None and location is not None:
            key = (variant.pk, location.pk)
            level = levels.get(key)
            if key in seen:
                errors.setdefault("sku", []).append(_("This SKU is in the import twice for this location."))
            elif key in moved or key in held or (level is not None and (level.on_hand or level.reserved)):
                errors.setdefault("sku", []).append(_("Omnishop already holds stock of %(sku)s at %(location)s: "
                                                      "book a receipt or an adjustment instead.") % {
                    "sku": row.sku, "location": location.code})
            seen.add(key)
        problems += row_errors(index, errors)
    if problems:
        raise StockImportInvalid(problems)

    now = timezone.now()
    result, new, existing, movements = [], [], [], []
    for row in rows:
        variant, location = variants[row.sku], locations[row.location]
        level = levels.get((variant.pk, location.pk))
        if level is None:
            level = StockLevel(variant=variant, location=location)
            new.append(level)
        else:  # an empty row made earlier (a pre-order's hold point, a location's first look)
            existing.append(level)
        result.append(level)
        level.on_hand, level.safety_stock, level.updated_at = row.on_hand, row.safety_stock, now
        if row.on_hand:
            movements.append(StockMovement(variant=variant, location=location, quantity=row.on_hand,
                                           reason=MovementReason.OPENING_BALANCE, reference=source,
                                           acting_user=acting_user))
    StockLevel.objects.bulk_create(new, batch_size=1000)
    StockLevel.objects.bulk_update(existing, ["on_hand", "safety_stock", "updated_at"], batch_size=1000)
    StockMovement.objects.bulk_create(movements, batch_size=1000)
    return result


# --- where stock sits: zones and bins ---------------------------------------------------------

@dataclass(frozen=True)
class ZoneIn:
    """One line of ``stock_zones_set``: a SKU or a JAN barcode (as scanned) and its zone / bin
    label ("" clears it)."""

    code: str
    zone: str


@transaction.atomic
def stock_zones_set(*, location: Location, rows: Iterable[ZoneIn], acting_user=None) -> list[StockLevel]:
    """Set the zone / bin of items at ``location`` (what a pick list is sorted by and a cycle
    count walks): one row or many. An item with no stock there yet gets an empty stock level
    (its shelf is ready before the first receipt). All or nothing: raise ZonesInvalid naming
    every bad row (unknown SKU or barcode, a label too long or with a comma or tab, an item
    given twice with two zones); nothing changes then. Writes one audit entry per changed
    level; a fixed number of queries whatever the number of rows."""
    rows = [ZoneIn(code=(row.code or "").strip(), zone=normalize_zone(row.zone)) for row in rows]
    codes = {row.code for row in rows if row.code}
    barcodes = {normalize_barcode(code) for code in codes}
    found = list(Variant.objects.select_related("product").filter(Q(sku__in=codes) | Q(barcode__in=barcodes)))
    by_sku = {v.sku: v for v in found}
    by_barcode = {v.barcode: v for v in found if v.barcode}
    problems: list[RowError] = []
    chosen: dict[int, tuple[int, str]] = {}  # variant id: (row, zone)
    if not rows:
        problems.append(RowError(0, "code", _("Give at least one SKU or barcode and its zone.")))
    for index, row in enumerate(rows):
        errors: dict[str, list[str]] = {}
        variant = by_sku.get(row.code) or by_barcode.get(normalize_barcode(row.code))
        if not row.code:
            errors["code"] = [_("Give a SKU or a barcode.")]
        elif variant is None:
            errors["code"] = [_("No item has the SKU or barcode %(code)s.") % {"code": row.code}]
        try:
            validate_zone(row.zone)
        except ValidationError as exc:
            errors["zone"] = list(exc.messages)
        if variant is not None:
            earlier = chosen.get(variant.pk)
            if earlier is not None and earlier[1] != row.zone:
                errors.setdefault("code", []).append(
                    _("%(sku)s is also on line %(line)d with another zone.") % {"sku": variant.sku,
                                                                                 "line": earlier[0] + 1})
            chosen.setdefault(variant.pk, (index, row.zone))
        problems += row_errors(index, errors)
    if problems:
        raise ZonesInvalid(problems)

    zones = {pk: zone for pk, (_index, zone) in chosen.items()}
    levels = {level.variant_id: level for level in StockLevel.objects.select_for_update(of=("self",)).filter(
        location=location, variant_id__in=zones).select_related("variant__product", "location")}
    variants = {v.pk: v for v in found}
    now = timezone.now()
    new, changed, entries = [], [], []
    for pk, zone in zones.items():
        level = levels.get(pk)
        if level is None:
            level = StockLevel(variant=variants[pk], location=location, zone=zone)
            new.append(level)
            levels[pk] = level
            continue
        if level.zone != zone:
            entries.append((level, {"zone": [level.zone, zone]}))
            level.zone, level.updated_at = zone, now
            changed.append(level)
    StockLevel.objects.bulk_create(new, batch_size=1000)
    StockLevel.objects.bulk_update(changed, ["zone", "updated_at"], batch_size=1000)
    audit_record_many(actor=acting_user, action="stock_zones_set",
                      entries=[*entries, *((level, {"zone": ["", level.zone]}) for level in new)])
    return [levels[pk] for pk in zones]
