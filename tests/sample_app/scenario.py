"""Run by tests/kernel/test_registry.py in a child pytest with --ds=tests.sample_settings (not
collected by the main run: the app is not installed there)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from kernel import roles

from .models import Notice

pytestmark = pytest.mark.django_db


def test_the_console_page_is_mounted_in_the_console_namespace():
    assert reverse("console:sample_board") == "/console/notices/"


def test_the_app_grants_its_permission_to_the_role_it_names(staff):
    assert "sample_app.view_notice" in roles.role_permissions()[roles.STORE_STAFF]
    granted = set(Group.objects.get(name=roles.STORE_STAFF).permissions.values_list("codename", flat=True))
    assert "view_notice" in granted
    assert staff[roles.STORE_STAFF].has_perm("sample_app.view_notice")
    assert not staff[roles.WAREHOUSE_OPERATOR].has_perm("sample_app.view_notice")


def test_store_staff_open_the_page_from_the_navigation(client, staff):
    Notice.objects.create(text="Stocktake on Monday")
    client.force_login(staff[roles.STORE_STAFF])
    dashboard = client.get(reverse("console:dashboard")).content.decode()
    assert 'href="/console/notices/"' in dashboard and "Notice board" in dashboard and "Notes" in dashboard
    page = client.get("/console/notices/")
    assert page.status_code == 200 and b"Stocktake on Monday" in page.content


def test_a_role_without_the_permission_neither_sees_nor_opens_it(client, staff):
    client.force_login(staff[roles.WAREHOUSE_OPERATOR])
    assert "/console/notices/" not in client.get(reverse("console:dashboard")).content.decode()
    assert client.get("/console/notices/").status_code == 403


def test_the_api_route_is_on_the_shared_router(client, staff):
    Notice.objects.create(text="Stocktake on Monday")
    assert reverse("api:notice-list") == "/api/v1/notices/"
    client.force_login(staff[roles.STORE_STAFF])
    response = client.get("/api/v1/notices/")
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Stocktake on Monday"]
    client.force_login(staff[roles.WAREHOUSE_OPERATOR])
    assert client.get("/api/v1/notices/").status_code == 403


def test_the_project_checks_pass_with_the_app_installed():
    call_command("check", fail_level="ERROR")
