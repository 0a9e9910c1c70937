"""RFM scores and historic CLV for every customer, recomputed in bulk SQL.

One statement does it all (PostgreSQL and SQLite alike): aggregate the orders that were not
cancelled per customer (last order, number of orders, total spent), rank each of the three in a
window function and turn the rank into a quintile score 1–5, label the R/F pair with the standard
RFM segment map, and upsert the lot into ``CustomerScore``; rows left from earlier runs (customers
whose only orders were cancelled, or who were merged away) are then deleted.

Quintiles are rank-based, ``1 + 5 * (RANK() - 1) / n``: customers with the same value get the
same score (``NTILE(5)`` would split a tie, e.g. give two customers who both bought once F=1 and
F=2 by their row order), and no loop over customers ever runs in Python.

Historic CLV is the total spent (tax included, yen). A predictive CLV or churn score is not
computed: the usual library (``lifetimes``, BG/NBD + Gamma-Gamma) is unmaintained since 2020,
and its maintained successor (PyMC-Marketing) brings PyMC and a sampler into a web app for one
number — not worth it until marketing asks for a forecast.
"""

import time

from django.db import connection, transaction
from django.utils import timezone

from kernel.audit import audit_record

from .models import Customer, CustomerScore, RfmLabel, ScoreRun

BOUGHT_STATUSES = ("placed", "ready", "shipped", "completed")  # orders.OrderStatus but cancelled

# The standard RFM segment map over (R, F), as a SQL CASE and the same in Python.
LABEL_SQL = f"""CASE
 WHEN r <= 2 AND f <= 2 THEN '{RfmLabel.HIBERNATING}'
 WHEN r <= 2 AND f <= 4 THEN '{RfmLabel.AT_RISK}'
 WHEN r <= 2 THEN '{RfmLabel.CANT_LOSE}'
 WHEN r = 3 AND f <= 2 THEN '{RfmLabel.ABOUT_TO_SLEEP}'
 WHEN r = 3 AND f = 3 THEN '{RfmLabel.NEED_ATTENTION}'
 WHEN f >= 4 AND r <= 4 THEN '{RfmLabel.LOYAL}'
 WHEN r = 4 AND f = 1 THEN '{RfmLabel.PROMISING}'
 WHEN f = 1 THEN '{RfmLabel.NEW}'
 WHEN f <= 3 THEN '{RfmLabel.POTENTIAL_LOYALISTS}'
 ELSE '{RfmLabel.CHAMPIONS}' END"""


def rfm_label(r: int, f: int) -> str:
    """The segment of an (R, F) pair: the same map as ``LABEL_SQL``."""
    if r <= 2:
        return RfmLabel.HIBERNATING if f <= 2 else RfmLabel.AT_RISK if f <= 4 else RfmLabel.CANT_LOSE
    if r == 3 and f <= 3:
        return RfmLabel.ABOUT_TO_SLEEP if f <= 2 else RfmLabel.NEED_ATTENTION
    if f >= 4:
        return RfmLabel.LOYAL if r <= 4 else RfmLabel.CHAMPIONS
    if f == 1:
        return RfmLabel.PROMISING if r == 4 else RfmLabel.NEW
    return RfmLabel.POTENTIAL_LOYALISTS


def _orders_model():
    # Orders sit above customers: reach the model through the reverse relation, never by import.
    return Customer._meta.get_field("orders").related_model


def _recency_sql() -> str:
    if connection.vendor == "postgresql":
        return "CAST(FLOOR(EXTRACT(EPOCH FROM (CAST(%s AS timestamptz) - last_at)) / 86400) AS INTEGER)"
    return "CAST(julianday(%s) - julianday(last_at) AS INTEGER)"


def _quintile(column: str, direction: str = "ASC") -> str:
    return f"1 + (5 * (RANK() OVER (ORDER BY {column} {direction}) - 1)) / (COUNT(*) OVER ())"


def scores_recompute(*, acting_user=None, now=None) -> ScoreRun:
    """Recompute every customer's RFM scores and historic CLV in SQL; record the run (audited
    when a person asked for it). Safe to run twice: each run replaces the previous one."""
    started = time.perf_counter()
    now = now or timezone.now()
    orders = _orders_model()
    aggregate = (orders.objects.filter(customer__isnull=False, status__in=BOUGHT_STATUSES)
                 .order_by().values("customer_id"))
    from django.db.models import Count, Max, Sum

    aggregate = aggregate.annotate(last_at=Max("created_at"), freq=Count("id"), spent=Sum("total"))
    agg_sql, agg_params = aggregate.query.sql_with_params()
    table = CustomerScore._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    # table names and SQL fragments are ours; every value is a parameter
    sql = f"""
        INSERT INTO {table} (customer_id, last_order_at, recency_days, frequency, monetary, r, f, m, label,
                             computed_at)
        SELECT customer_id, last_at, {_recency_sql()}, freq, spent, r, f, m, {LABEL_SQL}, %s
        FROM (SELECT a.customer_id, a.last_at, a.freq, a.spent,
                     {_quintile("a.last_at")} AS r, {_quintile("a.freq")} AS f, {_quintile("a.spent")} AS m
              FROM ({agg_sql}) a) s
        WHERE 1 = 1
        ON CONFLICT (customer_id) DO UPDATE SET
            last_order_at = excluded.last_order_at, recency_days = excluded.recency_days,
            frequency = excluded.frequency, monetary = excluded.monetary, r = excluded.r, f = excluded.f,
            m = excluded.m, label = excluded.label, computed_at = excluded.computed_at
    """  # noqa: S608
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [stamp, stamp, *agg_params])
            scored = cursor.rowcount
            cursor.execute(f"DELETE FROM {table} WHERE computed_at <> %s", [stamp])  # noqa: S608
        run = ScoreRun.objects.create(started_at=now, seconds=round(time.perf_counter() - started, 3),
                                      customers=max(scored, 0),
                                      acting_user=acting_user if getattr(acting_user, "is_authenticated",
                                                                         False) else None)
        if acting_user is not None:
            audit_record(actor=acting_user, action="scores_recompute", obj=run,
                         changes={"customers": run.customers})
    return run


def scores_recompute_task() -> int:
    """The daily django-q2 schedule (``customers.apps.ensure_schedules``) and the console/API button's job."""
    return scores_recompute().customers


def scores_recompute_queue(*, acting_user) -> None:
    """Queue a recompute asked for by a person (console button, API): it runs in a worker."""
    from django.conf import settings
    from django_q.tasks import async_task

    async_task("customers.scores.scores_recompute_for", acting_user.pk, task_name="scores-recompute",
               sync=settings.Q_CLUSTER.get("sync", False))


def scores_recompute_for(user_id: int) -> int:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    return scores_recompute(acting_user=user).customers
