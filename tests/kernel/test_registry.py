"""Each app declares its URLs, console navigation and role permissions on its AppConfig
(kernel.registry); the shell and the kernel only gather them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from kernel import registry, roles
from kernel.console import navigation

ROOT = Path(__file__).resolve().parents[2]

# Segments, personas and scores (issue 8): marketers and administrators.
SEGMENTS = {
    "customers.view_segment", "customers.add_segment", "customers.change_segment", "customers.delete_segment",
    "customers.export_segment", "customers.recompute_scores", "customers.view_persona", "customers.add_persona",
    "customers.change_persona", "customers.delete_persona", "customers.view_customerscore",
}

# Campaigns, offers and the suppression list (issue 9): marketers and administrators.
CAMPAIGNS = {
    "campaigns.view_campaign", "campaigns.add_campaign", "campaigns.change_campaign", "campaigns.approve_campaign",
    "campaigns.send_campaign", "campaigns.view_sendingpolicy", "campaigns.change_sendingpolicy",
    "campaigns.view_suppression", "campaigns.add_suppression", "campaigns.delete_suppression",
    "campaigns.view_offer", "campaigns.add_offer", "campaigns.change_offer", "campaigns.export_codes",
    # issue 11: attribution and the channel costs it divides by
    "campaigns.view_attribution", "campaigns.view_channelcost", "campaigns.add_channelcost",
    "campaigns.change_channelcost", "campaigns.delete_channelcost",
    # issue 11: journeys
    "campaigns.view_journey", "campaigns.add_journey", "campaigns.change_journey", "campaigns.activate_journey",
    "campaigns.view_backinstocksubscription",  # issue 11: who waits for what to come back
}

# issue 10: transfers, receiving and stock counts at the locations of their scope
WAREHOUSE_WORK = {"inventory.view_transfer", "inventory.add_transfer", "inventory.view_receipt",
                  "inventory.add_receipt", "inventory.view_stockcount", "inventory.add_stockcount",
                  "inventory.approve_stockcount", "inventory.view_purchaseorder"}
WAREHOUSE_VIEWS = {"inventory.view_transfer", "inventory.view_receipt", "inventory.view_purchaseorder",
                   "inventory.view_stockcount"}
# Registers and their day reports (issue 10): store staff run their store's, HQ reads them,
# administrators also set them up.
REGISTERS_STAFF = {"orders.view_register", "orders.operate_register"}
# issue 10: the returns desk
RETURNS_DESK = ("orders.view_return", "orders.take_returns")

# The role table as it was written out in kernel/roles.py before each app declared its own part.
ROLE_TABLE = {
    roles.STORE_STAFF: {
        "orders.view_order", "orders.run_pickup_desk", "orders.add_order", "inventory.view_stocklevel",
        "orders.operate_register",  # issue 10: the till
        "inventory.add_stockmovement", "inventory.view_stockmovement", "inventory.view_product",
        "omnishop.view_location", "customers.view_customer", "brandkit.view_brandkit", *WAREHOUSE_WORK,
        *REGISTERS_STAFF,  # issue 10
        *RETURNS_DESK, "orders.refund_order",  # issue 10: returns and refunds
        "orders.change_order",  # issue 10: staff notes and tags on orders
        "inventory.set_stock_zone",  # issue 10: zones / bins for pick lists and counts
        "campaigns.view_backinstocksubscription",  # issue 11: back-in-stock requests at their store
    },
    roles.WAREHOUSE_OPERATOR: {
        "inventory.view_stocklevel", "inventory.add_stockmovement", "inventory.view_stockmovement",
        "inventory.view_product", "omnishop.view_location", "orders.view_order", "orders.ship_orders",
        "brandkit.view_brandkit", *WAREHOUSE_WORK, "inventory.add_purchaseorder",
        *RETURNS_DESK,  # issue 10: returns by mail
        "orders.change_order",  # issue 10: staff notes and tags on orders
        "inventory.set_stock_zone",  # issue 10
    },
    roles.HQ_MARKETER: {
        "inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
        "omnishop.view_location", "inventory.view_stockmovement", "customers.view_customer",
        "customers.change_customer", "orders.view_order", "orders.view_sales_dashboard",
        "brandkit.view_brandkit", "brandkit.change_brandkit", *SEGMENTS,
        "customers.export_customers",  # issue 8: the customer list's CSV export
        "customers.merge_customer",  # issue 8: duplicate review and merge
        *CAMPAIGNS,  # issue 9
        *WAREHOUSE_VIEWS,  # issue 10
        "orders.view_register",  # issue 10
        "orders.view_return",  # issue 10
    },
    roles.ADMINISTRATOR: {
        *RETURNS_DESK, "orders.refund_order",  # issue 10
        "inventory.set_stock_zone",  # issue 10
        "orders.change_order",  # issue 10: staff notes and tags on orders
        "inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
        "omnishop.view_location", "omnishop.change_location", "inventory.add_stockmovement",
        "inventory.view_stockmovement", "customers.view_customer", "customers.change_customer",
        "customers.ingest_events", "orders.view_order", "orders.add_order", "orders.run_pickup_desk", "orders.view_sales_dashboard",
        "orders.ship_orders", "orders.operate_register", "brandkit.view_brandkit", "brandkit.change_brandkit",
        "omnishop.view_user",
        "omnishop.add_user", "omnishop.change_user", "omnishop.view_channel", "omnishop.change_channel",
        *SEGMENTS,
        "customers.export_customers", "customers.handle_privacy_requests",  # issue 8
        "customers.merge_customer",  # issue 8: duplicate review and merge
        *CAMPAIGNS,  # issue 9
        *WAREHOUSE_WORK, "inventory.add_purchaseorder",  # issue 10, and the supervisor's:
        "inventory.receive_over_expected", "inventory.approve_own_stockcount",
        *REGISTERS_STAFF, "orders.add_register",  # issue 10
    },
}


def test_the_apps_together_grant_each_role_what_it_had():
    assert {role: set(names) for role, names in roles.role_permissions().items()} == ROLE_TABLE
    assert roles.scoped_roles() == {roles.STORE_STAFF, roles.WAREHOUSE_OPERATOR}


@pytest.mark.django_db
def test_the_navigation_gathers_every_app_in_section_order(staff):
    sections = navigation(staff[roles.ADMINISTRATOR], "console:order_detail")
    urls = [[item["url"] for item in section["items"]] for section in sections]
    assert urls == [
        [reverse("console:dashboard")],
        [reverse("console:till"), reverse("console:pickup_desk"), reverse("console:returns"), reverse("console:orders"),
         reverse("console:registers"), reverse("console:customers"),
         reverse("console:duplicates"), reverse("console:segments")],
        [reverse("console:shipments")],
        [reverse("console:products"), reverse("console:stock"), reverse("console:receipts"),
         reverse("console:purchase_orders"), reverse("console:transfers"), reverse("console:counts"),
         reverse("console:stock_zones"), reverse("console:stock_adjust"), reverse("console:ledger")],
        [reverse("console:campaigns"), reverse("console:journeys"), reverse("console:offers"),
         reverse("console:attribution"), reverse("console:suppressions"), reverse("console:back_in_stock")],
        [reverse("console:report_sales"), reverse("console:report_fulfilment"), reverse("console:report_performance"),
         reverse("console:report_engagement")],
        [reverse("console:brandkit:index")],
    ]
    active = [item["url"] for section in sections for item in section["items"] if item["active"]]
    assert active == [reverse("console:orders")]  # a detail page lights up its list


def test_undeclared_roles_and_sections_fail_the_system_check(monkeypatch):
    real = registry.declarations

    def declarations(attribute):
        found = real(attribute)
        if attribute == "role_permissions":
            found.append(("returns", {"returns_clerk": ["returns.view_return"]}))
        if attribute == "console_nav":
            found.append(("returns", [registry.NavEntry("console:returns", "Returns", "returns", section="desk")]))
        return found

    monkeypatch.setattr(registry, "declarations", declarations)
    registry.clear_cache()
    try:
        assert {error.id for error in registry.check_declarations()} == {"omnishop.E010", "omnishop.E011"}
        assert "returns_clerk" not in registry.role_permissions()  # nobody gets a role that does not exist
    finally:
        monkeypatch.undo()
        registry.clear_cache()


def test_a_new_app_adds_a_console_page_an_api_route_and_a_role_permission_from_its_own_files():
    """tests/sample_app is installed by a settings module (its one line of wiring) and its
    scenario runs in a child pytest: a console page in the navigation, an API route on the shared
    router and a permission for store staff, none of them written in another app or the shell."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
         "--ds=tests.sample_settings", "tests/sample_app/scenario.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout


def test_nothing_outside_the_sample_app_names_it():
    allowed = {ROOT / "tests" / "sample_settings.py", Path(__file__).resolve()}
    skip = {".venv", "node_modules", "var", ".git", "staticfiles", "test-artifacts", "sample_app"}
    naming = []
    for path in ROOT.rglob("*"):
        if set(path.relative_to(ROOT).parts) & skip or not path.is_file() or path in allowed:
            continue
        if path.suffix in {".py", ".html", ".toml", ".cfg", ".txt", ".md", ".json"} and "sample_app" in path.read_text(
                errors="ignore"):
            naming.append(str(path.relative_to(ROOT)))
    assert naming == []
