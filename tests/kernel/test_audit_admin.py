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
