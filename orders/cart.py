"""The storefront cart: its services (every write of a cart) and its reads.

A cart is a row (``orders.models.Cart``): a guest's, keyed by the browser id
(``kernel.browser``), or a signed-in customer's, the same on every device. Nothing is reserved
until checkout; ``order_place`` validates everything again, so a stale cart can never place a
bad order.

- ``cart_add`` / ``cart_set`` / ``cart_remove``: change one line. Each publishes
  ``orders.cart_changed`` (anonymous carts too) in its transaction, and for a customer who
  allows tracking records "added to cart" on their timeline.
- ``cart_merge``: on sign-in (``orders.apps`` listens to ``user_logged_in``), the browser's guest
  cart joins the customer's cart and is deleted; ``orders.cart_merged`` ties the guest cart's
  earlier events to the customer. The same item in both keeps the larger quantity, not the sum:
  the customer most likely put the same thing in twice, once on each device.
- ``cart_code_apply`` / ``cart_code_remove``: the discount codes kept on the cart (``Cart.codes``);
  ``cart_pricing`` shows what they take off now (``orders.discounts``), and ``cart_checkout``
  passes them to ``order_place``.
- ``cart_checkout``: places the order from the cart and empties it in one transaction.
- ``carts_expire``: deletes guest carts idle for ``CART_GUEST_DAYS`` (a daily job).

Tracking: the caller says whether the browser refused tracking (``kernel.browser.tracking_refused``).
A refusal keeps the cart working; its events carry ``tracking: false`` and no timeline entry is
written. The consent purposes of the customers issue (analytics, personalisation) will join
that decision in ``cart_tracking_allowed``.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, EventKind
from customers.services import event_record
from inventory.models import ProductImage, Variant
from kernel.browser import browser_id as request_browser_id
from kernel.browser import tracking_refused
from kernel.channels import web_channel
from kernel.db import retry_on_conflict
from kernel.events import publish, publish_many
from kernel.models import Channel
from kernel.subjects import cart_subject, sku_subject

from . import domain_events
from .discounts import MAX_CODES, DiscountResult, PricedLine, RefusedCode, code_normalise, discounts_evaluate
from .errors import CartFull, DiscountRefused
from .models import Cart, CartLine, Order, new_checkout_token
from .services import MAX_LINE_QUANTITY, ContactIn, FulfillmentIn, LineIn, discount_context, order_place
from .tax import TaxSummary, summarise, summarise_document


def max_cart_lines() -> int:
    """The most lines one cart may hold (``settings.CART_MAX_LINES``): far above any real basket,
    low enough that a script cannot grow one row without bound."""
    return settings.CART_MAX_LINES


EXPIRE_BATCH = 1000


# --- reads -----------------------------------------------------------------------------------

@dataclass
class CartLineView:
    sku: str
    quantity: int
    variant: Variant | None  # None: the SKU is no longer sold (stale cart)
    discount: int = 0  # what the cart's discounts take off the line now (cart_pricing)
    discount_reason: str = ""

    @property
    def amount(self) -> int:
        """The line after its discount."""
        return self.line_total - self.discount

    @property
    def available(self) -> bool:
        return self.variant is not None and self.variant.product.is_active

    @property
    def unit_price(self) -> int:
        return self.variant.price if self.available else 0

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def tax_rate(self) -> int:
        return self.variant.product.tax_rate if self.available else 0

    @property
    def is_reduced_rate(self) -> bool:
        return self.available and self.variant.product.is_reduced_rate

    @property
    def image(self) -> ProductImage | None:
        if not self.available:
            return None
        images = self.variant.product.images.all()
        return images[0] if images else None


def cart_find(*, customer: Customer | None, browser_id: str | None) -> Cart | None:
    """The cart in use: a signed-in customer's own, else the browser's guest cart, else None
    (one query; none at all for a browser without an id)."""
    if customer is not None:
        return Cart.objects.filter(customer=customer).first()
    if browser_id:
        return Cart.objects.filter(browser_id=browser_id, customer__isnull=True).first()
    return None


def cart_count(*, customer: Customer | None, browser_id: str | None) -> int:
    """Units in the cart in use, for the header badge (one query, none without an owner)."""
    if customer is not None:
        lines = CartLine.objects.filter(cart__customer=customer)
    elif browser_id:
        lines = CartLine.objects.filter(cart__browser_id=browser_id, cart__customer__isnull=True)
    else:
        return 0
    return lines.aggregate(units=Sum("quantity"))["units"] or 0


def cart_lines(cart: Cart | None) -> list[CartLineView]:
    """The cart's lines with their variants, in the order they were added (three queries:
    lines, variants with products, photos)."""
    if cart is None:
        return []
    items = list(cart.lines.order_by("added_at", "id").values_list("sku", "quantity"))
    if not items:
        return []
    variants = {
        variant.sku: variant
        for variant in Variant.objects.filter(sku__in=[sku for sku, _q in items]).select_related("product")
        .prefetch_related(Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id")))
    }
    return [CartLineView(sku=sku, quantity=quantity, variant=variants.get(sku)) for sku, quantity in items]


def cart_summary(lines: list[CartLineView]) -> TaxSummary:
    """Totals and tax per rate of the available lines, after their discounts (``cart_pricing``)."""
    return summarise((line.amount, line.tax_rate) for line in lines if line.available)


@dataclass(frozen=True)
class CartPricing:
    """The cart with its discount codes applied now: ``lines`` carry their discounts, ``summary``
    is per rate on the discounted amounts, ``result`` has the offers applied and the codes
    refused with their reasons. No delivery fee: it depends on the method chosen at checkout."""

    lines: list[CartLineView]
    codes: tuple[str, ...]
    result: DiscountResult
    summary: TaxSummary

    @property
    def subtotal(self) -> int:
        return sum(line.line_total for line in self.lines if line.available)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def refused(self) -> dict[str, RefusedCode]:
        return {r.code: r for r in self.result.refused}

    @property
    def code_rows(self) -> list[dict]:
        """One row per code kept on the cart: its offers and saving, or why it is refused."""
        refused = self.refused
        return [{"code": code, "refused": refused.get(code),
                 "offers": [a for a in self.result.applied if a.code == code],
                 "saving": sum(a.amount for a in self.result.applied if a.code == code)}
                for code in self.codes]

    @property
    def automatic(self) -> list:
        """Offers that apply without a code."""
        return [a for a in self.result.applied if not a.code]


def _priced(lines: list[CartLineView]) -> list[PricedLine]:
    return [PricedLine(sku=line.sku, variant_id=line.variant.pk, product_id=line.variant.product_id,
                       category=line.variant.product.category, quantity=line.quantity,
                       unit_price=line.unit_price, tax_rate=line.tax_rate)
            for line in lines if line.available]


def cart_evaluate(*, lines: list[CartLineView], codes: Sequence[str], customer: Customer | None,
                  channel: Channel | None = None, method: str = "") -> DiscountResult:
    """What the discount providers would take off these cart lines with ``codes`` (a read)."""
    priced = _priced(lines)
    context = discount_context(channel=channel or web_channel(), customer=customer, location=None, codes=codes,
                               lines=priced, method=method)
    return discounts_evaluate(lines=priced, context=context)


def cart_pricing(*, cart: Cart | None, lines: list[CartLineView], customer: Customer | None,
                 channel: Channel | None = None) -> CartPricing:
    """The cart's lines with the discounts its codes (and automatic offers) give now."""
    codes = tuple(cart.codes) if cart is not None else ()
    result = cart_evaluate(lines=lines, codes=codes, customer=customer, channel=channel)
    per_sku, reasons = result.per_sku(), result.reasons()
    priced = [replace(line, discount=per_sku.get(line.sku, 0), discount_reason=reasons.get(line.sku, ""))
              if line.available else line for line in lines]
    return CartPricing(lines=priced, codes=codes, result=result,
                       summary=summarise_document(lines=((line.amount, line.tax_rate) for line in priced
                                                         if line.available)))


def cart_tracking_allowed(*, customer: Customer | None, refused: bool) -> bool:
    """Whether cart changes may be recorded as behaviour (timeline, marketing and analytics
    consumers): not when the browser refused tracking."""
    return not refused


# --- writes ----------------------------------------------------------------------------------

def _cart_for_update(*, customer: Customer | None, browser_id: str | None) -> Cart:
    """The cart in use, created if needed, locked for this transaction (PostgreSQL row lock;
    SQLite's write lock serialises anyway)."""
    if customer is None and not browser_id:
        raise ValueError("A cart belongs to a customer or to a browser id.")
    owner = {"customer": customer} if customer is not None else {"browser_id": browser_id, "customer": None}
    cart = Cart.objects.select_for_update().filter(**owner).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():  # savepoint: another request may create the same cart first
            return Cart.objects.create(**owner)
    except IntegrityError:
        return Cart.objects.select_for_update().get(**owner)


def _changed(cart: Cart, *, sku: str, quantity: int, delta: int, price: int | None, reason: str,
             tracking: bool, actor=None) -> None:
    publish(domain_events.CART_CHANGED, subject=cart_subject(cart.pk), actor=actor,
            payload=domain_events.CartChanged(cart_id=cart.pk, customer_id=cart.customer_id, sku=sku,
                                              quantity=quantity, delta=delta, unit_price=price, reason=reason,
                                              tracking=tracking))


def _touch(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


@retry_on_conflict
@transaction.atomic
def cart_add(*, variant: Variant, quantity: int, customer: Customer | None = None, browser_id: str | None = None,
             tracking: bool = True, channel: Channel | None = None, acting_user=None) -> int:
    """Put ``quantity`` units of ``variant`` in the cart of ``customer`` (else of the browser);
    the line is capped at the per-line maximum. Returns the line's new quantity. Raises
    ``CartFull`` when a new line would pass ``max_cart_lines()``."""
    if quantity < 1:
        raise ValueError("quantity must be positive")
    cart = _cart_for_update(customer=customer, browser_id=browser_id)
    line = cart.lines.filter(sku=variant.sku).first()
    before = line.quantity if line else 0
    after = min(before + quantity, MAX_LINE_QUANTITY)
    if line is None:
        if cart.lines.count() >= max_cart_lines():
            raise CartFull(max_cart_lines())
        CartLine.objects.create(cart=cart, sku=variant.sku, quantity=after)
    elif after != before:
        CartLine.objects.filter(pk=line.pk).update(quantity=after)
    _touch(cart)
    _changed(cart, sku=variant.sku, quantity=after, delta=after - before, price=variant.price, reason="added",
             tracking=tracking, actor=acting_user)
    if customer is not None and tracking:
        event_record(customer=customer, kind=EventKind.CART_ADDED, channel=channel, subject=sku_subject(variant.sku),
                     data={"sku": variant.sku, "quantity": quantity, "price": variant.price})
    return after


@retry_on_conflict
@transaction.atomic
def cart_set(*, sku: str, quantity: int, customer: Customer | None = None, browser_id: str | None = None,
             tracking: bool = True, acting_user=None) -> int:
    """Set the quantity of a line already in the cart (capped at the per-line maximum); 0 or
    less removes it. A SKU not in the cart changes nothing. Returns the new quantity."""
    cart = cart_find(customer=customer, browser_id=browser_id)
    if cart is None:
        return 0
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    line = cart.lines.filter(sku=sku).first()
    if line is None:
        return 0
    after = max(0, min(quantity, MAX_LINE_QUANTITY))
    if after == line.quantity:
        return after
    if after == 0:
        line.delete()
    else:
        CartLine.objects.filter(pk=line.pk).update(quantity=after)
    _touch(cart)
    price = Variant.objects.filter(sku=sku, product__is_active=True).values_list("price", flat=True).first()
    _changed(cart, sku=sku, quantity=after, delta=after - line.quantity, price=price,
             reason="removed" if after == 0 else "updated", tracking=tracking, actor=acting_user)
    return after


def cart_remove(*, sku: str, customer: Customer | None = None, browser_id: str | None = None,
                tracking: bool = True, acting_user=None) -> None:
    cart_set(sku=sku, quantity=0, customer=customer, browser_id=browser_id, tracking=tracking,
             acting_user=acting_user)


@retry_on_conflict
@transaction.atomic
def cart_code_apply(*, code: str, customer: Customer | None = None, browser_id: str | None = None,
                    channel: Channel | None = None) -> list[str]:
    """Keep a discount code on the cart (normalised, once) for its checkout. A code no provider
    knows is refused (``DiscountRefused``, reason ``unknown``) and not kept; a code refused for
    now (minimum spend not reached, ...) is kept, and the cart page shows why it does not apply
    yet. Returns the cart's codes."""
    normal = code_normalise(code)
    if not normal or len(normal) > 60:
        raise DiscountRefused([RefusedCode(code=normal[:60], reason="unknown",
                                           message=_("Enter a discount code."))])
    cart = _cart_for_update(customer=customer, browser_id=browser_id)
    codes = list(cart.codes or [])
    if normal in codes:
        return codes
    if len(codes) >= MAX_CODES:
        raise DiscountRefused([RefusedCode(code=normal, reason="not_eligible",
                                           message=_("At most %(n)s codes per order.") % {"n": MAX_CODES})])
    result = cart_evaluate(lines=cart_lines(cart), codes=[*codes, normal], customer=customer, channel=channel)
    refused = next((r for r in result.refused if r.code == normal), None)
    if refused is not None and refused.reason == "unknown":
        raise DiscountRefused([refused])
    codes.append(normal)
    Cart.objects.filter(pk=cart.pk).update(codes=codes, updated_at=timezone.now())
    return codes


@retry_on_conflict
@transaction.atomic
def cart_code_remove(*, code: str, customer: Customer | None = None, browser_id: str | None = None) -> list[str]:
    """Take a discount code off the cart (nothing happens when it is not there). Returns the cart's codes."""
    cart = cart_find(customer=customer, browser_id=browser_id)
    if cart is None:
        return []
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    normal = code_normalise(code)
    codes = [c for c in cart.codes or [] if c != normal]
    if codes != list(cart.codes or []):
        Cart.objects.filter(pk=cart.pk).update(codes=codes, updated_at=timezone.now())
    return codes


@retry_on_conflict
@transaction.atomic
def cart_merge(*, customer: Customer, browser_id: str | None, tracking: bool = True, channel: Channel | None = None,
               ) -> Cart | None:
    """The customer signed in on a browser that has a guest cart: move its lines into the
    customer's cart (the same item in both keeps the larger quantity) and delete it. Returns
    the customer's cart, or None when there was nothing to merge."""
    if not browser_id:
        return None
    guest = Cart.objects.select_for_update().filter(browser_id=browser_id, customer__isnull=True).first()
    if guest is None:
        return None
    guest_lines = list(guest.lines.order_by("added_at", "id"))
    guest_id = guest.pk
    if not guest_lines:  # (an empty guest cart's discount codes go with it)
        guest.delete()
        return None
    cart = _cart_for_update(customer=customer, browser_id=None)
    existing = {line.sku: line for line in cart.lines.all()}
    prices = dict(Variant.objects.filter(sku__in=[line.sku for line in guest_lines], product__is_active=True)
                  .values_list("sku", "price"))
    room = max_cart_lines() - len(existing)
    changes = []
    for line in guest_lines:
        mine = existing.get(line.sku)
        if mine is None:
            if room <= 0:
                continue  # the customer's cart is full: the rest of the guest cart is dropped
            room -= 1
            CartLine.objects.create(cart=cart, sku=line.sku, quantity=line.quantity)
            changes.append((line.sku, line.quantity, line.quantity))
        elif line.quantity > mine.quantity:
            CartLine.objects.filter(pk=mine.pk).update(quantity=line.quantity)
            changes.append((line.sku, line.quantity, line.quantity - mine.quantity))
    merged_codes = list(dict.fromkeys([*(cart.codes or []), *(guest.codes or [])]))[:MAX_CODES]
    if merged_codes != list(cart.codes or []):
        Cart.objects.filter(pk=cart.pk).update(codes=merged_codes)  # the discount codes typed as a guest too
    guest.delete()
    _touch(cart)
    publish(domain_events.CART_MERGED, subject=cart_subject(cart.pk),
            payload=domain_events.CartMerged(guest_cart_id=guest_id, cart_id=cart.pk, customer_id=customer.pk,
                                             lines=len(guest_lines), tracking=tracking))
    publish_many(domain_events.CART_CHANGED, items=[
        (domain_events.CartChanged(cart_id=cart.pk, customer_id=customer.pk, sku=sku, quantity=quantity, delta=delta,
                                   unit_price=prices.get(sku), reason="merged", tracking=tracking),
         cart_subject(cart.pk))
        for sku, quantity, delta in changes
    ])
    if tracking:
        for sku, _quantity, delta in changes:
            event_record(customer=customer, kind=EventKind.CART_ADDED, channel=channel, subject=sku_subject(sku),
                         data={"sku": sku, "quantity": delta, "price": prices.get(sku), "before_sign_in": True})
    return cart


@retry_on_conflict
@transaction.atomic
def cart_checkout(*, cart: Cart, channel: Channel, customer: Customer, fulfillment: FulfillmentIn,
                  contact: ContactIn, checkout_token: str, acting_user=None,
                  codes: Sequence[str] | None = None) -> Order:
    """Place the order of the customer's cart and empty the cart, in one transaction (a failed
    order leaves the cart as it was). The same ``checkout_token`` again returns the order it
    placed and changes nothing (see ``order_place``). ``codes`` are the discount codes (default:
    the cart's own); a refused one raises DiscountRefused and the cart keeps them."""
    if cart.customer_id != customer.pk:
        raise ValueError("Only the customer's own cart can be checked out.")
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    placed = Order.objects.filter(checkout_token=checkout_token, customer=customer).first() if checkout_token else None
    if placed is not None:
        return placed  # submitted before (the cart was emptied then)
    lines = [LineIn(sku=sku, quantity=quantity)
             for sku, quantity in cart.lines.order_by("added_at", "id").values_list("sku", "quantity")]
    order = order_place(channel=channel, customer=customer, lines=lines, fulfillment=fulfillment, contact=contact,
                        acting_user=acting_user, checkout_token=checkout_token,
                        codes=tuple(cart.codes or ()) if codes is None else codes)
    cart.lines.all().delete()
    cart.checkout_token = new_checkout_token()
    cart.codes = []
    cart.save(update_fields=["checkout_token", "codes", "updated_at"])
    publish(domain_events.CART_CHECKED_OUT, subject=cart_subject(cart.pk), actor=acting_user,
            payload=domain_events.CartCheckedOut(cart_id=cart.pk, customer_id=customer.pk, order_id=order.pk,
                                                 number=order.number))
    return order


def carts_expire(*, now=None, idle_days: int | None = None) -> int:
    """Delete guest carts nobody touched for ``idle_days`` (default ``CART_GUEST_DAYS``), in
    batches, each with its ``orders.cart_expired`` events. Returns how many were deleted.
    Customers' carts are kept. Safe to run twice or concurrently: a cart touched meanwhile is
    not deleted, and a batch either commits whole or not at all."""
    idle_days = settings.CART_GUEST_DAYS if idle_days is None else idle_days
    cutoff = (now or timezone.now()) - timedelta(days=idle_days)
    deleted = 0
    while True:
        with transaction.atomic():
            stale = list(Cart.objects.select_for_update(skip_locked=True)
                         .filter(customer__isnull=True, updated_at__lt=cutoff)
                         .order_by("id").values_list("id", flat=True)[:EXPIRE_BATCH])
            if not stale:
                return deleted
            counts = dict(CartLine.objects.filter(cart_id__in=stale).values("cart_id")
                          .annotate(n=Count("id")).values_list("cart_id", "n"))
            Cart.objects.filter(pk__in=stale).delete()
            publish_many(domain_events.CART_EXPIRED, items=[
                (domain_events.CartExpired(cart_id=pk, lines=counts.get(pk, 0), idle_days=idle_days), cart_subject(pk))
                for pk in stale
            ])
            deleted += len(stale)


def cart_merge_on_sign_in(sender, request=None, user=None, **kwargs) -> None:
    """``user_logged_in`` receiver (connected in ``OrdersConfig.ready``): a customer signing in
    (or just signed up) on the storefront takes over this browser's guest cart. Staff without a
    customer profile, and sign-ins without a request, merge nothing."""
    customer = getattr(user, "customer", None) if user is not None else None
    if request is None or customer is None:
        return
    cart_merge(customer=customer, browser_id=request_browser_id(request), channel=web_channel(),
               tracking=cart_tracking_allowed(customer=customer, refused=tracking_refused(request)))
