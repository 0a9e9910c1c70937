"""The audit trail in the admin names each action in words where an app declares a label."""

import pytest
from django.utils import translation

from brandkit.models import KitAction
from kernel.audit import audit_action_label
from kernel.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_action_is_labelled_by_its_apps_declaration_or_keeps_its_name():
    with translation.override("ja"):
        assert str(audit_action_label(KitAction.VERSION_PUBLISHED)) == "バージョンを公開"
        assert audit_action_label("something_unlabelled") == "something_unlabelled"


def test_the_admin_lists_the_human_label_and_the_raw_name_otherwise(admin_client):
    AuditEntry.objects.create(action="version_publish", object_type="brandkit.brandkitversion", object_id="1",
                              object_repr="v1")
    AuditEntry.objects.create(action="something_unlabelled", object_type="omnishop.location", object_id="2",
                              object_repr="Tokyo")
    page = admin_client.get("/admin/omnishop/auditentry/", HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    text = page.content.decode()
    assert "バージョンを公開" in text
    assert "something_unlabelled" in text


def test_the_admin_filters_and_shows_an_entry_by_its_label(admin_client):
    """The action filter lists labels (catalogue, location, customer and kernel writes alike),
    and an entry's page says what was done in words."""
    AuditEntry.objects.create(action="product_update", object_type="inventory.product", object_id="1",
                              object_repr="リネンシャツ")
    entry = AuditEntry.objects.create(action="customer_email_change", object_type="customers.customer",
                                      object_id="2", object_repr="佐藤 花子")
    AuditEntry.objects.create(action="delivery_release", object_type="omnishop.delivery", object_id="3",
                              object_repr="order:1 email")
    with translation.override("ja"):
        page = admin_client.get("/admin/omnishop/auditentry/", HTTP_ACCEPT_LANGUAGE="ja")
        text = page.content.decode()
        assert "商品を編集" in text and "顧客のメールアドレスを変更" in text and "メッセージの再送を許可" in text
        assert "?action=product_update" in text  # the filter's choice, named by its label
        assert ">product_update<" not in text and ">customer_email_change<" not in text
        filtered = admin_client.get("/admin/omnishop/auditentry/?action=customer_email_change",
                                    HTTP_ACCEPT_LANGUAGE="ja")
        assert list(filtered.context["cl"].result_list) == [entry]
        detail = admin_client.get(f"/admin/omnishop/auditentry/{entry.pk}/change/", HTTP_ACCEPT_LANGUAGE="ja")
        assert detail.status_code == 200 and "顧客のメールアドレスを変更" in detail.content.decode()
