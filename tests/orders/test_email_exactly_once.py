"""The order emails go through the delivery ledger (kernel.deliveries): the test kills the email
worker (SIGKILL, a real separate process) between the claim and the send, and after the transport
accepted the message, restarts it, and finds each email sent once.

The worker is ``python -c`` on the test database (SQLite: a WAL copy of it, as the task worker
shares the embedded database; PostgreSQL: the test database itself) with the file email backend
writing into a folder the test reads. The lease is shortened so the restart finds the dead
worker's claim stale, as django-q's redelivery after ``retry`` seconds does."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from kernel.models import Delivery, DeliveryStatus
from orders import services
from orders.services import FulfillmentIn, LineIn
from tests.racing import wal_copy_of_test_database

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import sys, time
from pathlib import Path
import django
django.setup()
from django.conf import settings
from kernel import deliveries
from orders.tasks import order_email_send

order_id, die_at, marker, lease = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
settings.DELIVERY_LEASE_SECONDS = lease


def wait_to_be_killed():
    marker.write_text(die_at)
    time.sleep(120)  # the test sends SIGKILL now
    raise SystemExit("not killed")


if die_at == "after-claim":  # the claim is committed; the transport is not called yet
    deliveries.delivery_mark_sending = lambda **kwargs: wait_to_be_killed()
elif die_at == "after-send":  # the transport accepted (wrote) the message; nothing after it has run
    from django.core.mail.backends.filebased import EmailBackend

    transport = EmailBackend.send_messages

    def send_then_die(self, messages):
        transport(self, messages)
        wait_to_be_killed()

    EmailBackend.send_messages = send_then_die
for kind in ("confirmation", "ready"):
    print(kind, order_email_send(order_id, kind))
"""


def pickup_order_ready(shop, monkeypatch):
    """A pickup order ready for collection whose two emails are queued for the worker, not yet sent."""
    from customers.services import customer_sign_up

    monkeypatch.setattr(services, "_queue_email", lambda order_id, kind: None)

    _user, customer = customer_sign_up(email="Hanako@example.jp", password="pass-Word-123", family_name="山田")
    order = services.order_place(channel=shop.web, customer=customer, lines=[LineIn("LS-S", 1)],
                                 fulfillment=FulfillmentIn("pickup", "shibuya"))
    services.fulfillment_mark_ready(fulfillment=order.fulfillments.get())
    return order


def run_worker(order, env, tmp_path, die_at: str) -> subprocess.CompletedProcess | None:
    marker = tmp_path / "marker"
    marker.unlink(missing_ok=True)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(order.pk), die_at, str(marker), "1"], cwd=ROOT,
                              env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if die_at == "never":
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        return out
    deadline = time.time() + 60
    while not marker.exists():
        assert worker.poll() is None, worker.communicate()[1]
        assert time.time() < deadline, "the worker never reached the step it dies at"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    time.sleep(1.2)  # the lease (1 s) runs out, as django-q redelivers the dead worker's task after `retry`
    return None


def subjects_sent(mail_dir: Path) -> list[str]:
    """The Subject of every message the file backend wrote (each sent message, once)."""
    subjects = []
    for path in sorted(mail_dir.glob("*")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Subject:"):
                subjects.append(line)
    return subjects


on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant runs on SQLite only")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL variant (set DATABASE_URL)")


def ledger_of(path: Path, number: str) -> dict[str, tuple[str, int]]:
    db = sqlite3.connect(path)
    rows = db.execute("select message_key, status, attempts from omnishop_delivery where message_key like ?",
                      (f"order:{number}:%",)).fetchall()
    events = db.execute("select count(*) from customers_customerevent where kind = 'email_sent' and subject like ?",
                        (f"order:{number}:%",)).fetchone()[0]
    db.close()
    return {key.rsplit(":", 1)[1]: (status, attempts) for key, status, attempts in rows}, events


def run_on_sqlite(tmp_path, monkeypatch, die_at):
    from tests.builders import build_shop

    shop = build_shop()
    order = pickup_order_ready(shop, monkeypatch)
    path, env = wal_copy_of_test_database(tmp_path, "worker.sqlite3", EMAIL_MODE="file")
    run_worker(order, env, tmp_path, die_at)
    restarted = run_worker(order, env, tmp_path, "never")
    again = run_worker(order, env, tmp_path, "never")
    close_old_connections()
    return order, path, restarted, again, subjects_sent(tmp_path / "var" / "mail")


@on_sqlite
def test_a_worker_killed_between_claim_and_send_is_restarted_and_each_email_is_sent_once(
        transactional_db, tmp_path, monkeypatch):
    order, path, restarted, again, subjects = run_on_sqlite(tmp_path, monkeypatch, "after-claim")

    assert len(subjects) == 2 and len(set(subjects)) == 2, subjects  # confirmation and ready, once each
    assert "confirmation True" in restarted and "ready True" in restarted
    assert "confirmation False" in again and "ready False" in again
    ledger, events = ledger_of(path, order.number)
    assert ledger == {"confirmation": (DeliveryStatus.SENT, 2), "ready": (DeliveryStatus.SENT, 1)}
    assert events == 2


@on_sqlite
def test_a_worker_killed_after_the_transport_accepted_is_restarted_and_nothing_is_sent_twice(
        transactional_db, tmp_path, monkeypatch):
    order, path, restarted, again, subjects = run_on_sqlite(tmp_path, monkeypatch, "after-send")

    assert len(subjects) == 2 and len(set(subjects)) == 2, subjects  # the accepted confirmation was not re-sent
    assert "confirmation False" in restarted and "ready True" in restarted
    ledger, events = ledger_of(path, order.number)
    # the dead worker's send is of unknown outcome: listed for staff, never re-sent automatically
    assert ledger == {"confirmation": (DeliveryStatus.UNKNOWN, 1), "ready": (DeliveryStatus.SENT, 1)}
    assert events == 1


def run_on_postgres(tmp_path, monkeypatch, die_at):
    from tests.builders import build_shop

    shop = build_shop()
    order = pickup_order_ready(shop, monkeypatch)
    database = connection.settings_dict
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**{k: database[k] or "" for k in database})
    env = {**os.environ, "DATABASE_URL": url, "OMNISHOP_MODE": "test", "EMAIL_MODE": "file",
           "DJANGO_SETTINGS_MODULE": "omnishop.settings", "OMNISHOP_VAR_DIR": str(tmp_path / "var")}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    run_worker(order, env, tmp_path, die_at)
    restarted = run_worker(order, env, tmp_path, "never")
    run_worker(order, env, tmp_path, "never")
    return order, restarted, subjects_sent(tmp_path / "var" / "mail")


@pytest.mark.postgres
@on_postgres
@pytest.mark.parametrize("die_at, confirmation", [("after-claim", DeliveryStatus.SENT),
                                                   ("after-send", DeliveryStatus.UNKNOWN)])
def test_a_killed_worker_restarted_on_postgresql_sends_each_email_once(
        transactional_db, tmp_path, monkeypatch, die_at, confirmation):
    order, restarted, subjects = run_on_postgres(tmp_path, monkeypatch, die_at)

    assert len(subjects) == 2 and len(set(subjects)) == 2, subjects
    statuses = dict(Delivery.objects.filter(message_key__startswith=f"order:{order.number}:")
                    .values_list("message_key", "status"))
    assert statuses == {f"order:{order.number}:confirmation": confirmation,
                        f"order:{order.number}:ready": DeliveryStatus.SENT}
