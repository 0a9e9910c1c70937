"""Two staff merge the same pair at the same moment (PostgreSQL, real threads): exactly one merge
happens; the other is refused naming the customer, and nothing is moved twice."""

import threading
from collections import Counter

import pytest
from django.db import connection

from customers import merge
from customers.errors import MergeError
from customers.models import Customer, CustomerMerge
from customers.services import customer_create

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks between concurrent merges are proven on PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def test_the_same_pair_merged_twice_at_once_merges_once():
    a = customer_create(email="a@example.jp", family_name="山田", given_name="花子")
    b = customer_create(email="b@example.jp", family_name="山田", given_name="花子")
    barrier, lock, outcomes = threading.Barrier(4), threading.Lock(), Counter()

    def worker(survivor_pk, merged_pk):
        try:
            barrier.wait(timeout=10)
            try:
                merge.customer_merge(survivor=Customer(pk=survivor_pk), merged=Customer(pk=merged_pk),
                                     acting_user=None)
                outcome = "merged"
            except MergeError as exc:
                outcome = exc.code
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    # two keep a, two keep b: whichever locks first wins, the others find a record gone
    threads = [threading.Thread(target=worker, args=args) for args in
               [(a.pk, b.pk), (a.pk, b.pk), (b.pk, a.pk), (b.pk, a.pk)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes["merged"] == 1 and sum(outcomes.values()) == 4, outcomes
    assert set(outcomes) <= {"merged", "customer_already_merged"}
    assert Customer.objects.filter(pk__in=[a.pk, b.pk]).count() == 1 and CustomerMerge.objects.count() == 1
