"""Login flood benchmark: what a stream of wrong passwords does to everyone else's pages.

    .venv/bin/python bench/login_flood.py [--threads 8] [--seconds 15] [--requests 40]

Builds a small shop in a throwaway SQLite database (temporary OMNISHOP_VAR_DIR, DEBUG off,
the production password hasher), starts ``gunicorn omnishop.wsgi -w 2`` on a free loopback
port and measures the catalogue page's median latency three times:

1. quiet: nobody logs in;
2. flood, throttled: ``--threads`` clients post wrong passwords to the storefront login as
   fast as they can, with the shop's login throttling as configured (django-axes);
3. flood, unthrottled: the same against a second server started with a failure limit so
   high that nothing is ever locked (what main did before login throttling).

Prints the medians, the login answers by status (200 = form error after a password hash,
429 = locked out before any hash) and the attempts per second. Asserts nothing.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="flooding client threads (default 8)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each flood (default 15 s)")
    parser.add_argument("--requests", type=int, default=40, help="timed catalogue requests per phase")
    return parser.parse_args()


def build(var_dir: Path) -> None:
    """Migrate and create a store, a few products and one customer account, in a child process
    (this process must not hold the SQLite file open while gunicorn writes to it)."""
    script = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from inventory import services
from django.contrib.auth import get_user_model
for n in range(24):
    digits = f"45{n:010d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    services.product_create(code=f"flood-{n}", name=f"リネンシャツ {n}", variants=[
        services.VariantIn(sku=f"FLOOD-{n}", barcode=digits + str(check), price=5500)])
get_user_model().objects.create_user(email="victim@example.jp", password="the-right-password-42")
"""
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=server_env(var_dir, {}), check=True)


def server_env(var_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "OMNISHOP_VAR_DIR": str(var_dir), "OMNISHOP_MODE": "dev", "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "omnishop.settings", "PYTHONWARNINGS": "ignore"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read()
    finally:
        connection.close()


class Server:
    def __init__(self, var_dir: Path, extra_env: dict[str, str]):
        self.port = free_port()
        config = var_dir / "gunicorn-bench.conf.py"
        config.write_text("# empty: keep the repository's gunicorn.conf.py out of the benchmark\n")
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        self.process = subprocess.Popen(
            [gunicorn, "omnishop.wsgi", "-w", "2", "-b", f"127.0.0.1:{self.port}", "-c", str(config),
             "--log-level", "warning"],
            cwd=ROOT, env=server_env(var_dir, extra_env), stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(self.port, "GET", "/products/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def catalogue_median(port: int, n: int) -> float:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        status, _cookie, _body = request(port, "GET", "/products/")
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return statistics.median(samples)


def flood(port: int, threads: int, seconds: float, measure) -> tuple[float, Counter, float]:
    """``threads`` clients post wrong passwords until ``measure()`` (run meanwhile) returns."""
    stop = threading.Event()
    answers: Counter = Counter()
    lock = threading.Lock()

    def attacker() -> None:
        status, cookie, body = request(port, "GET", "/account/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}",
                   "Referer": f"http://localhost:{port}/account/login/"}
        n = 0
        while not stop.is_set():
            body = urlencode({"csrfmiddlewaretoken": token, "username": f"guess{n}@example.jp"
                              if n % 2 else "victim@example.jp", "password": f"wrong-{n}"})
            status = request(port, "POST", "/account/login/", body, headers)[0]
            with lock:
                answers[status] += 1
            n += 1

    workers = [threading.Thread(target=attacker, daemon=True) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(1)  # let the flood build up
    median = measure()
    remaining = seconds - (time.perf_counter() - started)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    elapsed = time.perf_counter() - started
    return median, answers, sum(answers.values()) / elapsed


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="omnishop-flood-"))
    try:
        build(var_dir)
        print(f"Login flood benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}; gunicorn -w 2, SQLite, PBKDF2 hasher")
        rows = []
        for label, extra in (("throttled (as configured)", {}),
                             ("unthrottled (failure limit 10^9)", {"AXES_FAILURE_LIMIT": "1000000000"})):
            server = Server(var_dir, extra)
            try:
                quiet = catalogue_median(server.port, args.requests)
                busy, answers, rate = flood(server.port, args.threads, args.seconds,
                                            lambda port=server.port: catalogue_median(port, args.requests))
            finally:
                server.stop()
            rows.append((label, quiet, busy, answers, rate))
            # the next server starts from a clean count
            subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                            "from axes.models import AccessAttempt; AccessAttempt.objects.all().delete()"],
                           cwd=ROOT, env=server_env(var_dir, {}), check=True)
        print(f"\n{'login throttling':34} {'quiet ms':>9} {'flood ms':>9}  {'logins/s':>8}  answers")
        for label, quiet, busy, answers, rate in rows:
            summary = ", ".join(f"{status}: {count}" for status, count in sorted(answers.items()))
            print(f"{label:34} {quiet:9.1f} {busy:9.1f}  {rate:8.0f}  {summary}")
        print(f"\n{args.threads} flooding threads for {args.seconds:.0f} s; medians of {args.requests} "
              "sequential catalogue requests; load average at the end "
              f"{os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
