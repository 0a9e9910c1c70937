"""``manage.py seed_demo``: the Japanese demo brand (see omnishop/demo.py)."""

import logging

from django.core.management.base import BaseCommand, CommandError

from omnishop import demo


class Command(BaseCommand):
    help = "Seed the deterministic Japanese demo brand. Running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000, help="number of customers (default 2000)")
        parser.add_argument("--products", type=int, default=200, help="number of products (default 200)")
        parser.add_argument("--days", type=int, default=90, help="days of order history (default 90)")
        parser.add_argument("--reset", action="store_true",
                            help="delete the demo data first (only demo rows; refuses if other data uses them)")

    def handle(self, *args, customers: int, products: int, days: int, reset: bool, **options):
        verbose = options["verbosity"] >= 1
        if reset:
            try:
                deleted = demo.demo_reset()
            except Exception as exc:  # ProtectedError, RestrictedError
                raise CommandError(f"Could not remove the demo data: {exc}") from exc
            if verbose:
                self.stdout.write("Removed the demo data (rows deleted, cascades included): "
                                  + ", ".join(f"{k} {v}" for k, v in deleted.items()))
        if verbose:
            self.stdout.write("Seeding the demo brand…")
        queue_logger = logging.getLogger("django-q")  # one "Enqueued" line per order email otherwise
        level = queue_logger.level
        if options["verbosity"] < 3:
            queue_logger.setLevel(logging.WARNING)
        try:
            report = demo.demo_seed(customers=customers, products=products, days=days,
                                    log=self.stdout.write if options["verbosity"] >= 2 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            queue_logger.setLevel(level)
        if not verbose:
            return
        if report.created:
            self.stdout.write(self.style.SUCCESS(f"Demo brand seeded in {report.seconds:.1f} s."))
        else:
            self.stdout.write(f"The demo brand is already seeded: nothing changed ({report.seconds:.1f} s).")
        width = max(len(name) for name in report.counts)
        for name, count in report.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>7,}")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for label, email, _password in demo.DEMO_CREDENTIALS:
            self.stdout.write(f"  {label:<38} {email}")
