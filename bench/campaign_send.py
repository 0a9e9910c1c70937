"""Campaign sending benchmark (issue 9, "Speed"): personalised emails per second through two
django-q2 workers to a loopback SMTP server, then the same with a worker killed mid-send.

    .venv/bin/python bench/campaign_send.py [--customers 100000]
        [--database-url postgres://postgres@127.0.0.1:5432[/db]] [--redis [URL]]
        [--kill-at 0.3] [--q-timeout 60] [--q-retry 90] [--profile | --no-profile] [--no-crash]
        [--no-pipelining]

In a child process with a throwaway database (SQLite: a WAL file in a temporary OMNISHOP_VAR_DIR;
``--database-url`` with a server only: a database ``campaign_send_<pid>`` created there and dropped
afterwards; with a database name: that database, as is, which must be one you can throw away):

1. migrate; the demo brand kit; two HQ marketers; three stores; ``--customers`` customers built in
   bulk (``bulk_create`` after ``fill_search_fields``, 80 % with a favourite store) with an email
   marketing opt-in each (``bulk_create`` of consent ledger rows); a dynamic segment "email
   marketing opt-in now" over them;
2. an SMTP server (aiosmtpd) in a separate process on a free loopback port, which writes one line
   per message it accepts (time, Message-ID, recipients) before it answers 250, so duplicates
   (a Message-ID received twice) and gaps (a recipient never received) can be counted;
3. ``manage.py qcluster`` with ``Q_WORKERS=2`` (django-q2: ORM broker on the same database, or
   Redis with ``--redis`` / ``REDIS_URL``), the project's email settings pointed at that server
   (``EMAIL_MODE=smtp``);
4. clean run: a campaign with one email message using merge fields (``{{ name_honorific }}``,
   ``{{ favourite_store }}``) written, submitted, approved by the second marketer and started
   through ``campaigns.services`` (quiet hours off, so the run does not depend on the hour in
   Tokyo); the cluster fans it out and sends it. Prints messages per second from the first to the
   last message the SMTP server accepted, and the wall time from the start to "finished";
5. crash run: a fresh campaign to the same customers; once ``--kill-at`` (30 %) of the messages
   have arrived, one worker process of the cluster gets SIGKILL (the workers are the PIDs django-q2
   logs as "ready for work", checked to be descendants of the cluster: psutil if installed, else
   ``pgrep -P``), the cluster is stopped (SIGTERM) and started again; then it waits until the
   campaign is finished. Prints sent, duplicates, gaps, recipients failed with "outcome unknown"
   (the delivery ledger's rule for a message the relay may have taken when its worker died:
   kernel/deliveries.py) and whether the relay had in fact received them, and the time;
6. profile (``--profile``, or by default when the clean run is under 500 messages/s): one
   ``campaign_send_batch`` of 500 recipients in this process under cProfile against the same SMTP
   server, with the time split into the batch's checks, rendering, the MIME message, the SMTP
   conversation and the delivery ledger's steps and commits.

The task timeout and redelivery delay default to 60 / 90 s here (``--q-timeout`` / ``--q-retry``;
production's are 300 / 360 s, pass 0 to keep them): a dead worker's batch comes back after the
redelivery delay, and the crash run's time is mostly that wait. On Redis nothing is redelivered (the
broker pops the task): the dead worker's batch comes back through ``campaigns_tick``'s lost-batch
rule, once no batch of the campaign has finished for twice the task timeout (``lost_batch_after``). Asserts nothing.
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SETTINGS = "bench.campaign_send_settings"
FAMILY = [("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
          ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ")]
GIVEN = [("花子", "ハナコ"), ("太郎", "タロウ"), ("陽菜", "ヒナ"), ("蓮", "レン"), ("結衣", "ユイ"), ("湊", "ミナト"),
         ("さくら", "サクラ"), ("大翔", "ヒロト")]
SUBJECT = "秋の新作のご案内"
BODY = ("{{ name_honorific }}\n\nいつもミナト商店をご利用いただきありがとうございます。\n"
        "{% if favourite_store %}{{ favourite_store }}でも秋の新作リネンシャツをお試しいただけます。"
        "{% else %}秋の新作リネンシャツが入荷しました。{% endif %}")
STORES = [("bench-ginza", "銀座店"), ("bench-shibuya", "渋谷店"), ("bench-yokohama", "横浜店")]


# --- the throwaway database and the child process ------------------------------------------------

def launch(*, script: str, args: list[str], database_url: str, redis_url: str, prefix: str) -> None:
    """Run ``script --child args`` against a throwaway database (see the module docstring)."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    env = {**os.environ, "OMNISHOP_VAR_DIR": str(var_dir), "OMNISHOP_MODE": "dev", "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONWARNINGS": "ignore", "BENCH_Q_NAME": f"{prefix}-{os.getpid()}"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    admin, dbname = None, ""
    if database_url:
        parts = urlsplit(database_url)
        if parts.path.strip("/"):
            env["DATABASE_URL"] = database_url
        else:
            import psycopg

            server = urlunsplit(parts._replace(path=""))
            dbname = f"{prefix.replace('-', '_')}_{os.getpid()}"
            admin = psycopg.connect(f"{server}/postgres", autocommit=True)
            admin.execute(f'CREATE DATABASE "{dbname}"')
            env["DATABASE_URL"] = f"{server}/{dbname}"
    try:
        subprocess.run([sys.executable, script, "--child", *args], cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the SMTP server (its own process) ------------------------------------------------------------

def smtp_serve(port: int, path: str, pipelining: bool = True) -> None:
    """Accept every message on 127.0.0.1:``port``; write "time, Message-ID, recipients" per message
    to ``path`` (line-buffered) before answering 250. Announces PIPELINING unless told not to.
    Runs until SIGTERM."""
    import threading
    from email.parser import BytesHeaderParser

    from aiosmtpd.controller import Controller

    parser = BytesHeaderParser()
    out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115  (open for the server's life)

    class Counting:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
            session.host_name = hostname
            if pipelining:  # as Postfix announces it: the sender then pipelines MAIL, RCPT and DATA
                responses.insert(len(responses) - 1, "250-PIPELINING")
            return responses

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            message_id = str(parser.parsebytes(envelope.content)["Message-ID"] or "").strip()
            out.write(f"{time.time():.6f}\t{message_id}\t{','.join(envelope.rcpt_tos).lower()}\n")
            return "250 Message accepted for delivery"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    out.close()


class Inbox:
    """What the SMTP server wrote, read incrementally: (time, Message-ID, recipients) per message."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: list[tuple[float, str, str]] = []
        self._offset = 0

    def refresh(self) -> int:
        with open(self.path, encoding="utf-8") as file:
            file.seek(self._offset)
            chunk = file.read()
        complete = chunk[:chunk.rfind("\n") + 1]
        self._offset += len(complete.encode("utf-8"))
        for line in complete.splitlines():
            at, message_id, rcpts = line.split("\t")
            self.rows.append((float(at), message_id, rcpts))
        return len(self.rows)


# --- the cluster -----------------------------------------------------------------------------------

def descendants(pid: int) -> set[int]:
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {child.pid for child in psutil.Process(pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()
    found, todo = set(), [pid]
    while todo:
        out = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True, text=True).stdout
        children = {int(p) for p in out.split()}
        todo += list(children - found)
        found |= children
    return found


class Cluster:
    """``manage.py qcluster`` with two workers, its log in a file (the workers' PIDs are read from it)."""

    def __init__(self, env: dict, log_path: Path):
        self.env = {**env, "Q_WORKERS": "2"}
        self.log_path = log_path
        self.process = None
        self._log_offset = 0

    def start(self) -> None:
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115  (handed to the child)
        self.process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def workers(self) -> list[int]:
        """The PIDs of this cluster's live workers (the ones it logged as ready for work)."""
        with open(self.log_path, "rb") as file:
            file.seek(self._log_offset)
            text = file.read().decode("utf-8", "replace")
        announced = [int(pid) for pid in re.findall(r"ready for work at (\d+)", text)]
        alive = descendants(self.process.pid)
        return [pid for pid in announced if pid in alive]

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.workers()) < 2:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the cluster did not start: see {self.log_path}")
            time.sleep(0.2)

    def stop(self, timeout: float = 120) -> float:
        """SIGTERM and wait (django-q2 lets the workers finish the tasks they hold); SIGKILL the
        process group after ``timeout``. Returns the seconds it took."""
        started = time.perf_counter()
        if self.process is None or self.process.poll() is not None:
            return 0.0
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        return time.perf_counter() - started


# --- the world --------------------------------------------------------------------------------------

def marketers():
    """Two HQ marketers: the author and the approver."""
    from django.contrib.auth import get_user_model

    from kernel import roles

    user_model = get_user_model()
    author = user_model.objects.create_user("bench-author@example.jp", "pass-Word-123", display_name="企画 A")
    approver = user_model.objects.create_user("bench-approver@example.jp", "pass-Word-123", display_name="承認 B")
    for user in (author, approver):
        roles.assign_role(user, roles.HQ_MARKETER)
    return author, approver


def stores() -> list:
    from inventory import services as inventory

    return [inventory.location_create(code=code, name=name, kind="store", prefecture="13", offers_pickup=True)
            for code, name in STORES]


def customers_bulk(n: int, favourite_stores: list, chunk: int = 5000) -> None:
    """``n`` customers with an email marketing opt-in each, in chunks of ``bulk_create``."""
    from customers.models import ConsentRecord, Customer

    for start in range(0, n, chunk):
        batch = []
        for i in range(start, min(n, start + chunk)):
            family, family_kana = FAMILY[i % len(FAMILY)]
            given, given_kana = GIVEN[(i // len(FAMILY)) % len(GIVEN)]
            customer = Customer(email=f"c{i}@bench.example.jp", family_name=family, given_name=given,
                                family_name_kana=family_kana, given_name_kana=given_kana, prefecture="13",
                                language="ja",
                                favourite_location=favourite_stores[i % len(favourite_stores)] if i % 5 else None)
            customer.fill_search_fields()
            batch.append(customer)
        created = Customer.objects.bulk_create(batch)
        ConsentRecord.objects.bulk_create([
            ConsentRecord(customer=customer, channel="email", purpose="marketing", granted=True, source="import",
                          source_detail="bench") for customer in created])


def opt_in_segment():
    from customers import segments

    return segments.segment_create(name="メール配信 同意あり", rules=segments.rules_clean({"groups": [{"conditions": [
        {"field": "consent", "operator": "granted", "value": "email", "purpose": "marketing"}]}]}))


def campaign_ready(*, name: str, segment, author, approver):
    """A campaign with one email message, written, submitted and approved through the services."""
    from campaigns import services

    campaign = services.campaign_create(name=name, acting_user=author, segments=[segment], quiet_start=None,
                                        quiet_end=None)
    services.message_set(campaign=campaign, channel="email", language="ja", acting_user=author, subject=SUBJECT,
                         body=BODY, cta_label="新作を見る", cta_url="/products/")
    services.campaign_submit(campaign=campaign, acting_user=author)
    return services.campaign_approve(campaign=campaign, acting_user=approver)


# --- a run and what it left ----------------------------------------------------------------------

def wait_finished(campaign_id: int, inbox: Inbox, *, since: int, expected: int, timeout: float,
                  on_progress=None) -> bool:
    from campaigns.models import Campaign, CampaignStatus

    deadline, shown = time.monotonic() + timeout, time.monotonic()
    while time.monotonic() < deadline:
        received = inbox.refresh() - since
        if on_progress is not None:
            on_progress(received)
        if Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.FINISHED).exists():
            return True
        if time.monotonic() - shown > 10:
            shown = time.monotonic()
            print(f"    … {received:,} / {expected:,} received (load average {load_average()})", flush=True)
        time.sleep(0.5)
    return False


def quiet_schedules() -> None:
    """Move the daily and hourly jobs a fresh database would run at the cluster's first start
    (scores, snapshots, the duplicate scan, expiries) a day ahead, so they do not take a worker
    while a campaign is being measured; ``campaigns.tick`` and the outbox dispatch keep running."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    Schedule.objects.exclude(name__in=["campaigns.tick", "omnishop.events_dispatch"]).update(
        next_run=timezone.now() + timedelta(days=1))


def after_a_tick(margin: float = 25.0) -> None:
    """Wait until the next ``campaigns_tick`` is at least ``margin`` seconds away. The tick finishes
    a sending campaign with nothing pending, and does so to a campaign whose fan-out task has not
    materialised its recipients yet (they are then left pending and every batch refuses to send):
    starting a campaign just after a tick keeps the benchmark clear of that race, which
    ``finished_early`` reports when it happens."""
    from django.utils import timezone
    from django_q.models import Schedule

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        next_run = Schedule.objects.filter(name="campaigns.tick").values_list("next_run", flat=True).first()
        if next_run is None or (next_run - timezone.now()).total_seconds() > margin:
            return
        time.sleep(0.5)


def finished_early(campaign_id: int) -> int:
    """Recipients left pending by a campaign marked finished (the tick's race): 0 when none."""
    from campaigns.models import CampaignRecipient, RecipientStatus

    return CampaignRecipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.PENDING).count()


def warn_early(campaign_id: int) -> None:
    left = finished_early(campaign_id)
    if left:
        print(f"    !! the campaign was marked finished with {left:,} recipients still pending: campaigns_tick ran "
              f"between the start and the fan-out's INSERT … SELECT (campaigns/sending.py); nothing more is sent",
              flush=True)


def account(campaign_id: int, inbox: Inbox) -> dict:
    """Every recipient against what the SMTP server received."""
    from campaigns.models import CampaignRecipient, RecipientStatus
    from kernel.deliveries import delivery_message_id, delivery_normalise_recipient
    from kernel.models import Delivery, DeliveryStatus
    from kernel.subjects import campaign_subject

    time.sleep(0.5)
    inbox.refresh()
    key = campaign_subject(campaign_id)
    rows = list(CampaignRecipient.objects.filter(campaign_id=campaign_id).values_list(
        "pk", "status", "customer__email"))
    expected = {delivery_message_id(message_key=key, recipient=delivery_normalise_recipient(email, "email")): (pk, status)
                for pk, status, email in rows}
    received = Counter(message_id for _at, message_id, _rcpt in inbox.rows if message_id in expected)
    times = sorted(at for at, message_id, _rcpt in inbox.rows if message_id in expected)
    unknown_addresses = set(Delivery.objects.filter(message_key=key, status=DeliveryStatus.UNKNOWN).values_list(
        "recipient", flat=True))
    unknown_ids = {delivery_message_id(message_key=key, recipient=a) for a in unknown_addresses}
    statuses = Counter(status for _pk, status in expected.values())
    gaps = [pk for mid, (pk, status) in expected.items()
            if mid not in received and status not in (RecipientStatus.SKIPPED, RecipientStatus.FAILED)]
    sent_not_received = sum(1 for mid, (_pk, status) in expected.items()
                            if status == RecipientStatus.SENT and mid not in received)
    received_not_sent = sum(1 for mid, (_pk, status) in expected.items()
                            if mid in received and status != RecipientStatus.SENT)
    return {
        "recipients": len(rows), "statuses": dict(statuses), "received": sum(received.values()),
        "distinct": len(received), "duplicates": sum(count - 1 for count in received.values()),
        "gaps": len(gaps), "sent_not_received": sent_not_received, "received_not_sent": received_not_sent,
        "unknown": len(unknown_ids), "unknown_received": sum(1 for mid in unknown_ids if mid in received),
        "first": times[0] if times else 0.0, "last": times[-1] if times else 0.0,
        "deliveries": dict(Counter(Delivery.objects.filter(message_key=key).values_list("status", flat=True))),
    }


def rate(figures: dict) -> float:
    span = figures["last"] - figures["first"]
    return (figures["distinct"] - 1) / span if span > 0 and figures["distinct"] > 1 else 0.0


def report(label: str, figures: dict, wall: float) -> None:
    print(f"  {label}: {figures['distinct']:,} messages received, {rate(figures):,.0f} messages/s from the first "
          f"to the last accepted ({figures['last'] - figures['first']:.1f} s); start → finished {wall:.1f} s",
          flush=True)
    print(f"    recipients {figures['recipients']:,} by status {figures['statuses']}; delivery ledger "
          f"{figures['deliveries']}", flush=True)
    print(f"    duplicates (same Message-ID twice) {figures['duplicates']}; gaps (never received, not accounted "
          f"for) {figures['gaps']}; sent but not received {figures['sent_not_received']}; received but not "
          f"recorded sent {figures['received_not_sent']}; outcome unknown {figures['unknown']} (of which the relay "
          f"had received {figures['unknown_received']})", flush=True)


# --- the profile of one batch ----------------------------------------------------------------------

PROFILE_PARTS = [  # (label, file name part, function name): cumulative time of each
    ("batch checks: merge contexts", "personalisation.py", "merge_contexts"),
    ("batch checks: consent", "consent.py", "customers_consenting"),
    ("batch checks: frequency cap", "sending.py", "_frequency_counts"),
    ("batch checks: suppressions", "suppression.py", "suppressed_addresses"),
    ("render (templates, merge values)", "sending.py", "render_message"),
    ("outgoing message (render + links + opt-out)", "sending.py", "outgoing_message"),
    ("ledger: claim the batch (one INSERT + COMMIT)", "deliveries.py", "delivery_claim_many"),
    ("ledger: point of no return (UPDATE)", "deliveries.py", "delivery_mark_committing"),
    ("ledger: mark sent (one UPDATE)", "deliveries.py", "delivery_mark_sent"),
    ("recipients + events in bulk (SentBook.flush)", "sending.py", "flush"),
    ("provider.send (MIME + SMTP)", "providers.py", "send"),
    ("  writing the MIME message", "mime.py", "email_bytes"),
    ("  SMTP envelope (MAIL, RCPT, DATA)", "providers.py", "_envelope_pipelined"),
    ("  SMTP envelope, not pipelined", "providers.py", "_envelope"),
]


def profile_batch(*, segment, author, approver, size: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from campaigns import sending, services

    campaign = campaign_ready(name="プロファイル", segment=segment, author=author, approver=approver)
    services.campaign_start(campaign=campaign, acting_user=approver)  # its fan-out task waits: no cluster
    sending.recipients_materialise(campaign)
    bounds = sending.batch_bounds(campaign.pk, size=size)
    first, last = bounds[0]
    if len(bounds) > 1:  # the same work without the profiler, for the real speed of one process
        started = time.perf_counter()
        plain = sending.campaign_send_batch(campaign.pk, *bounds[1])
        elapsed = time.perf_counter() - started
        print(f"\n  one campaign_send_batch of {size} recipients in this process, not profiled, "
              f"{settings.CAMPAIGN_SEND_CONCURRENCY if connection.vendor == 'postgresql' else 1} lane(s): "
              f"{plain['sent']} sent "
              f"in {elapsed:.2f} s = {plain['sent'] / elapsed:,.0f} messages/s "
              f"({elapsed * 1000 / max(plain['sent'], 1):.2f} ms per message)", flush=True)
    profiler = cProfile.Profile()  # one lane: cProfile and the query log see only this thread
    with CaptureQueriesContext(connection) as queries, override_settings(CAMPAIGN_SEND_CONCURRENCY=1):
        started = time.perf_counter()
        profiler.enable()
        result = sending.campaign_send_batch(campaign.pk, first, last)
        profiler.disable()
        elapsed = time.perf_counter() - started
    sent = max(result["sent"], 1)
    stats = pstats.Stats(profiler)
    print(f"  profile: one campaign_send_batch of {size} recipients in this process: {result}; "
          f"{elapsed:.2f} s under cProfile = {result['sent'] / elapsed:,.0f} messages/s, "
          f"{len(queries.captured_queries) / sent:.1f} queries per message", flush=True)

    def cumulative(file_part: str, name: str) -> tuple[float, int]:
        total, calls = 0.0, 0
        for (filename, _line, function), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            if function == name and file_part in filename:
                total += ct
                calls += nc
        return total, calls

    total_ct = sum(tt for (_cc, _nc, tt, _ct, _c) in stats.stats.values())
    print(f"    {'part':<50} {'s':>7} {'ms/msg':>7} {'share':>6} {'calls':>7}")
    for label, file_part, name in PROFILE_PARTS:
        seconds, calls = cumulative(file_part, name)
        print(f"    {label:<50} {seconds:7.2f} {seconds * 1000 / sent:7.2f} {seconds / total_ct:6.0%} {calls:7}")
    # the database, whatever the backend: Django's cursor wrapper and its connection's commit
    for label, file_part, name in (("database: statements (execute)", "backends/utils.py", "_execute"),
                                   ("database: COMMIT", "backends/base/base.py", "_commit")):
        seconds, calls = cumulative(file_part, name)
        print(f"    {label:<50} {seconds:7.2f} {seconds * 1000 / sent:7.2f} {seconds / total_ct:6.0%} {calls:7}")
    shapes = Counter(re.sub(r"\b\d+(\.\d+)?\b", "?", re.sub(r"'[^']*'", "?", re.sub(r"\s+", " ", query["sql"])))[:100]
                     for query in queries.captured_queries)
    print("    statements per message (those run at least once a message):")
    for sql, count in shapes.most_common():
        if count >= sent:
            print(f"      {count / sent:4.1f} × {sql}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print("    top functions by own time:")
    body = out.getvalue()
    print("\n".join("      " + line for line in body[body.find("ncalls"):].splitlines()[:17]), flush=True)


# --- the child -----------------------------------------------------------------------------------

def child(args) -> None:
    # SIGTERM (a timeout, Ctrl-C's cousin) unwinds through the finally below: the cluster runs in a
    # session of its own and would outlive the bench otherwise
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    var_dir = Path(os.environ["OMNISHOP_VAR_DIR"])
    port = free_port()
    os.environ.update({"EMAIL_MODE": "smtp", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)})
    if args.q_timeout:
        os.environ["BENCH_Q_TIMEOUT"] = str(args.q_timeout)
    if args.q_retry:
        os.environ["BENCH_Q_RETRY"] = str(args.q_retry)
    inbox_path = var_dir / "smtp-received.tsv"
    inbox_path.touch()
    server = subprocess.Popen([sys.executable, __file__, "--smtp", str(port), str(inbox_path),
                               *(["--no-pipelining"] if args.no_pipelining else [])], cwd=ROOT)
    import django

    django.setup()
    import logging

    logging.getLogger("django-q").setLevel(logging.WARNING)  # not one line per task enqueued
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from brandkit.services import brandkit_seed_default
    from campaigns import services

    cluster = None
    try:
        call_command("migrate", verbosity=0)
        broker = "Redis" if settings.Q_CLUSTER.get("redis") else "ORM broker"
        lanes = settings.CAMPAIGN_SEND_CONCURRENCY if connection.vendor == "postgresql" else 1
        print(f"{connection.vendor} ({connection.settings_dict['NAME']}), django-q2 {broker}, 2 workers "
              f"of {lanes} lane(s) each (CAMPAIGN_SEND_CONCURRENCY), "
              f"task timeout {settings.Q_CLUSTER['timeout']} s, redelivery after {settings.Q_CLUSTER['retry']} s; "
              f"SMTP on 127.0.0.1:{port}; load average {load_average()}", flush=True)
        n = args.customers
        brandkit_seed_default()
        author, approver = marketers()
        started = time.perf_counter()
        customers_bulk(n, stores())
        segment = opt_in_segment()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(f"  {n:,} customers with an email opt-in built in {time.perf_counter() - started:.1f} s", flush=True)

        quiet_schedules()
        inbox = Inbox(inbox_path)
        cluster = Cluster(dict(os.environ), var_dir / "qcluster.log")
        cluster.start()
        cluster.wait_ready()

        # 1. clean run
        clean = None
        if not args.crash_only:
            campaign = campaign_ready(name="秋の新作 (計測)", segment=segment, author=author, approver=approver)
            after_a_tick()
            since = inbox.refresh()
            started = time.perf_counter()
            services.campaign_start(campaign=campaign, acting_user=approver)
            done = wait_finished(campaign.pk, inbox, since=since, expected=n, timeout=args.timeout)
            wall = time.perf_counter() - started
            clean = account(campaign.pk, inbox)
            print(f"  load average after the clean run {load_average()}" + ("" if done else "  (NOT FINISHED)"))
            report("clean run", clean, wall)
            warn_early(campaign.pk)

        # 2. crash run
        if not args.no_crash:
            campaign = campaign_ready(name="秋の新作 (停止)", segment=segment, author=author, approver=approver)
            state = {"killed": None}

            def kill_one(received: int) -> None:
                if state["killed"] is not None or received < args.kill_at * n:
                    return
                workers = cluster.workers()
                victim = workers[0]
                os.kill(victim, signal.SIGKILL)
                state["killed"] = time.perf_counter()
                print(f"    SIGKILL worker {victim} (of {workers}) at {received:,} received "
                      f"({time.perf_counter() - started:.1f} s); stopping the cluster", flush=True)
                stopped = cluster.stop()
                cluster.start()
                cluster.wait_ready()
                print(f"    cluster stopped in {stopped:.1f} s and started again "
                      f"({time.perf_counter() - started:.1f} s)", flush=True)

            after_a_tick()
            since = inbox.refresh()
            started = time.perf_counter()
            services.campaign_start(campaign=campaign, acting_user=approver)
            done = wait_finished(campaign.pk, inbox, since=since, expected=n, timeout=args.timeout + args.q_retry,
                                 on_progress=kill_one)
            wall = time.perf_counter() - started
            crash = account(campaign.pk, inbox)
            print(f"  load average after the crash run {load_average()}" + ("" if done else "  (NOT FINISHED)"))
            report("crash run (one worker SIGKILLed, cluster restarted)", crash, wall)
            warn_early(campaign.pk)
            if state["killed"] is not None:
                print(f"    finished {started + wall - state['killed']:.1f} s after the kill "
                      f"(the dead worker's batch comes back after the redelivery delay, "
                      f"{settings.Q_CLUSTER['retry']} s after it was taken)", flush=True)
        cluster.stop()
        cluster = None

        # 3. profile
        if args.profile or (args.profile is None and (clean is None or rate(clean) < 500)):
            profile_batch(segment=segment, author=author, approver=approver, size=args.profile_size)
    finally:
        if cluster is not None:
            cluster.stop()
        if settings.Q_CLUSTER.get("redis"):  # the database goes away; a Redis queue would stay
            from django_q.brokers import get_broker

            get_broker().delete_queue()
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers, one email each (default 100,000)")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL: a server URL (a throwaway database is created and dropped) or a "
                             "database to use as is; default SQLite in a temporary directory")
    parser.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/9", default=os.environ.get("REDIS_URL", ""),
                        help="django-q2 on Redis (default URL redis://127.0.0.1:6379/9; REDIS_URL is used if set)")
    parser.add_argument("--kill-at", type=float, default=0.3, help="share received when a worker is killed (0.3)")
    parser.add_argument("--q-timeout", type=int, default=60, help="task timeout and ledger lease, s (0: production's)")
    parser.add_argument("--q-retry", type=int, default=90, help="redelivery of a dead worker's task, s (0: production's)")
    parser.add_argument("--timeout", type=float, default=3600, help="give up waiting for a run after this (s)")
    parser.add_argument("--no-crash", action="store_true", help="only the clean run")
    parser.add_argument("--crash-only", action="store_true", help="only the crash run")
    parser.add_argument("--profile", action="store_true", default=None, help="always profile one batch")
    parser.add_argument("--no-profile", action="store_false", dest="profile", help="never profile")
    parser.add_argument("--profile-size", type=int, default=500, help="recipients in the profiled batch (500)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="CAMPAIGN_SEND_CONCURRENCY, lanes per worker (default: the setting's, 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-pipelining", action="store_true",
                        help="the SMTP server does not announce PIPELINING (by default it does, as Postfix)")
    parser.add_argument("--smtp", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp:
        smtp_serve(int(args.smtp[0]), args.smtp[1], pipelining=not args.no_pipelining)
        return
    if args.child:
        child(args)
        return
    forwarded = ["--customers", str(args.customers), "--kill-at", str(args.kill_at), "--q-timeout", str(args.q_timeout),
                 "--q-retry", str(args.q_retry), "--timeout", str(args.timeout),
                 "--profile-size", str(args.profile_size)]
    if args.no_crash:
        forwarded.append("--no-crash")
    if args.no_pipelining:
        forwarded.append("--no-pipelining")
    if args.crash_only:
        forwarded.append("--crash-only")
    if args.profile is not None:
        forwarded.append("--profile" if args.profile else "--no-profile")
    if args.concurrency is not None:
        os.environ["CAMPAIGN_SEND_CONCURRENCY"] = str(args.concurrency)  # the child and its cluster inherit it
    launch(script=__file__, args=forwarded, database_url=args.database_url, redis_url=args.redis,
           prefix="campaign-send")


if __name__ == "__main__":
    main()
