"""Every write records who did it: the catalogue, location and customer-profile services write
an audit entry with their ``acting_user`` in the same transaction (stock, orders and consent keep
their own ledgers with the acting user)."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from customers import services as customers
from inventory import services as inventory
from inventory.services import VariantIn
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


def _new(shop_built_before):
    """The entries written after the shop was built (building it through the services audits too)."""
    return AuditEntry.objects.filter(pk__gt=shop_built_before)


@pytest.fixture
def mark(shop, staff):
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 120, 80)).save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


WRITES = {
    "location_create": lambda shop, user: inventory.location_create(
        code="kobe", name="神戸店", kind="store", acting_user=user),
    "location_update": lambda shop, user: inventory.location_update(
        location=shop.store_b, name="梅田本店", acting_user=user),
    "product_create": lambda shop, user: inventory.product_create(
        code="tee", name="Tシャツ", variants=[VariantIn(sku="T-M", barcode="4900000000016", price=3300)],
        acting_user=user),
    "product_update": lambda shop, user: inventory.product_update(
        product=shop.product, name="リネンシャツ（長袖）", acting_user=user),
    "variant_add": lambda shop, user: inventory.variant_add(
        product=shop.product, sku="LS-XL", barcode="4900000000023", price=5500, size="XL", acting_user=user),
    "variant_update": lambda shop, user: inventory.variant_update(variant=shop.large, price=6050, acting_user=user),
    "product_image_add": lambda shop, user: inventory.product_image_add(
        product=shop.product, upload=_png(), acting_user=user),
    "customer_update_profile": lambda shop, user: customers.customer_update_profile(
        customer=customers.customer_get_or_create_for_order(email="a@example.jp", family_name="青木"),
        given_name="一郎", acting_user=user),
    "customer_create": lambda shop, user: customers.customer_create(family_name="青木", acting_user=user),
    "customer_email_change": lambda shop, user: customers.customer_email_change(
        customer=customers.customer_create(family_name="青木", email="a@example.jp"), email="b@example.jp",
        acting_user=user),
    "customer_delete": lambda shop, user: customers.customer_delete(
        customer=customers.customer_create(family_name="青木"), acting_user=user),
    "variant_delete": lambda shop, user: inventory.variant_delete(variant=inventory.variant_add(
        product=shop.product, sku="LS-XL", barcode="4900000000023", price=5500, size="XL"), acting_user=user),
}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_each_write_records_its_acting_user(shop, staff, mark, action):
    user = staff["administrator"]
    WRITES[action](shop, user)
    entry = _new(mark).get(action=action)
    assert entry.actor == user and entry.object_id and entry.object_repr


def test_an_update_records_what_changed_from_what(shop, staff):
    inventory.product_update(product=shop.product, name="リネンシャツ（長袖）", category="シャツ",
                             acting_user=staff["hq_marketer"])
    entry = AuditEntry.objects.get(action="product_update")
    assert (entry.object_type, entry.object_id) == ("inventory.product", str(shop.product.pk))
    assert entry.changes == {"name": ["リネンシャツ", "リネンシャツ（長袖）"]}  # the category did not change


def test_a_refused_write_leaves_no_audit_entry(shop, staff):
    with pytest.raises(ValidationError):
        inventory.product_update(product=shop.product, name="", acting_user=staff["hq_marketer"])
    assert not AuditEntry.objects.filter(action="product_update").exists()


def test_a_write_without_a_person_is_recorded_as_the_system(shop):
    inventory.variant_update(variant=shop.small, price=4950)
    assert AuditEntry.objects.get(action="variant_update").actor is None


def test_console_api_and_admin_writes_name_the_signed_in_user(client, shop, staff, mark, admin_client, admin_user):
    hq = staff["hq_marketer"]
    client.force_login(hq)
    client.post(reverse("console:product_edit", kwargs={"code": "linen-shirt"}), {
        "form": "variant", "variant-sku": "LS-M", "variant-barcode": "4900000000030", "variant-price": "5500",
        "variant-size": "M"})
    api = APIClient()
    api.force_authenticate(user=hq)
    api.patch("/api/v1/products/linen-shirt/", {"category": "トップス"}, format="json")
    admin_client.post(reverse("admin:omnishop_location_change", args=[shop.locker.pk]), {
        "name": "新宿ロッカー2", "kind": "locker", "prefecture": "13", "postal_code": "", "address": "", "phone": "",
        "opening_hours": "", "is_active": "on"})
    assert list(_new(mark).order_by("id").values_list("action", "actor")) == [
        ("variant_add", hq.pk), ("product_update", hq.pk), ("location_update", admin_user.pk)]


def test_audit_entries_are_append_only_and_read_only_in_the_admin(shop, staff, mark, admin_client):
    inventory.product_update(product=shop.product, name="新しい名前", acting_user=staff["hq_marketer"])
    entry = _new(mark).get()
    with pytest.raises(ValueError):
        entry.save()
    html = admin_client.get(reverse("admin:omnishop_auditentry_changelist")).content.decode()
    assert "product_update" in html and "新しい名前" in html
    assert admin_client.get(reverse("admin:omnishop_auditentry_add")).status_code == 403


@pytest.mark.parametrize("module", ["inventory.services", "customers.services", "orders.services"])
def test_no_service_accepts_an_acting_user_and_drops_it(module):
    """A guard for new services: taking ``acting_user`` promises that the write records it."""
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    dropped = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and "acting_user" in [a.arg for a in node.args.kwonlyargs]
               and not any(isinstance(n, ast.Name) and n.id == "acting_user" for n in ast.walk(node))]
    assert dropped == []
