"""``manage.py inventory_audit``: check that the stock ledger sums to on_hand and that reserved
equals the active holds at every stock level; print each difference and exit with status 1
when there is one (for cron and CI)."""

import time

from django.core.management.base import BaseCommand, CommandError

from inventory.audit import stock_audit
from inventory.models import StockLevel


class Command(BaseCommand):
    help = "Check that the stock ledger sums to on_hand and reserved equals the open holds everywhere."

    def handle(self, *args, **options):
        started = time.perf_counter()
        differences = stock_audit()
        elapsed = time.perf_counter() - started
        for difference in differences:
            self.stdout.write(str(difference))
        levels = StockLevel.objects.count()
        if differences:
            raise CommandError(f"{len(differences)} difference(s) in {levels} stock levels ({elapsed:.2f}s).")
        self.stdout.write(self.style.SUCCESS(f"{levels} stock levels agree with the ledger and the holds "
                                             f"({elapsed:.2f}s)."))
