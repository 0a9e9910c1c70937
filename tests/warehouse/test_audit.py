import pytest
from django.core.management import CommandError, call_command

from inventory.models import StockLevel, StockMovement

pytestmark = pytest.mark.django_db


def test_the_audit_passes_on_a_consistent_shop_and_names_every_difference(shop, capsys):
    from inventory import services

    services.stock_reserve(location=shop.store_a, lines=[(shop.small, 1)], reference="fulfillment:1")
    call_command("inventory_audit")
    assert "agree" in capsys.readouterr().out
    StockLevel.objects.filter(variant=shop.small, location=shop.store_a).update(on_hand=7, reserved=0)
    StockMovement.objects.create(variant=shop.large, location=shop.locker, quantity=4, reason="receipt")
    with pytest.raises(CommandError, match="2 difference"):
        call_command("inventory_audit")
    out = capsys.readouterr().out
    assert "LS-S @ shibuya: on_hand 7 but the ledger sums to 3; reserved 0 but the active holds sum to 1" in out
    assert "LS-L @ locker-shinjuku: on_hand 0 but the ledger sums to 4" in out


def test_the_audit_is_two_queries_plus_the_orphan_checks(shop, django_assert_max_num_queries):
    from inventory.audit import stock_audit

    with django_assert_max_num_queries(3):
        assert stock_audit() == []
