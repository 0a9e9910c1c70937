"""Campaign personalisation benchmark: time the merge contexts with recommendations of sending
batches (campaigns.personalisation.merge_contexts) on the demo data.

    OMNISHOP_VAR_DIR=/tmp/persvar .venv/bin/python manage.py migrate
    OMNISHOP_VAR_DIR=/tmp/persvar .venv/bin/python manage.py seed_demo
    OMNISHOP_VAR_DIR=/tmp/persvar .venv/bin/python bench/campaign_personalise.py [--batch 500] [--runs 3]

Reads only (the database named by OMNISHOP_VAR_DIR / DATABASE_URL, as the app would). For each
batch of ``--batch`` customers (by id; the batches cover every customer, at most ``--batches``
of them), counts the queries and times ``merge_contexts(recommendations=True)`` ``--runs`` times,
then prints the median per batch and how many recommendations came from each source.
Asserts nothing.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.personalisation import merge_contexts
    from customers.models import Customer

    ids = list(Customer.objects.filter(erased_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    print(f"{connection.vendor}: {len(ids)} customers, batches of {args.batch}", flush=True)
    reasons: Counter = Counter()
    medians = []
    for start in range(0, min(len(ids), args.batch * args.batches), args.batch):
        batch = ids[start:start + args.batch]
        samples = []
        for _run in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                contexts = merge_contexts(customer_ids=batch, recommendations=True)
                samples.append(time.perf_counter() - began)
        reasons.update(r.reason for context in contexts.values() for r in context.recommendations)
        with_picks = sum(1 for context in contexts.values() if context.recommendations)
        medians.append(statistics.median(samples))
        print(f"  customers {start + 1:>6}–{start + len(batch):<6} {len(queries.captured_queries):>3} queries  "
              f"{' / '.join(f'{s:.3f}' for s in samples)} s  ({with_picks} with recommendations)", flush=True)
    if medians:
        print(f"median per batch of {args.batch}: {statistics.median(medians):.3f} s")
    print("recommendations by source:", dict(reasons))


if __name__ == "__main__":
    main()
