"""Settings come from the environment; production refuses unsafe defaults; SQLite is tuned for writers."""

import json
import os
import re
import runpy
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "omnishop" / "settings.py"
CONFIG_VARS = ("OMNISHOP_MODE", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG", "ALLOWED_HOSTS", "EMAIL_MODE")


def load_settings(monkeypatch, tmp_path, **env) -> dict:
    """Evaluate omnishop/settings.py afresh with exactly these variables set."""
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMNISHOP_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(OMNISHOP_MODE="production", ALLOWED_HOSTS="shop.example.jp", OMNISHOP_VAR_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="omnishop.settings")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr

    env["SECRET_KEY"] = "a-real-secret-" + "k" * 50
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_production_mode_turns_debug_off_and_uses_smtp(monkeypatch, tmp_path):
    conf = load_settings(monkeypatch, tmp_path, OMNISHOP_MODE="production", SECRET_KEY="s" * 60,
                         ALLOWED_HOSTS="shop.example.jp,www.shop.example.jp")
    assert conf["DEBUG"] is False
    assert conf["ALLOWED_HOSTS"] == ["shop.example.jp", "www.shop.example.jp"]
    assert conf["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert conf["SESSION_COOKIE_SECURE"] and conf["CSRF_COOKIE_SECURE"] and conf["SECURE_SSL_REDIRECT"]


def test_database_url_selects_postgresql_with_persistent_connections(monkeypatch, tmp_path):
    conf = load_settings(monkeypatch, tmp_path, DATABASE_URL="postgres://shop:s%40cret@db.example.jp:5433/omnishop")
    db = conf["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "omnishop", "shop", "s@cret", "db.example.jp", 5433)
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True


def test_sqlite_database_url_still_gets_immediate_transactions(monkeypatch, tmp_path):
    conf = load_settings(monkeypatch, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    db = conf["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 5


def test_sqlite_database_url_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(monkeypatch, tmp_path,
                                                                                    django_db_blocker):
    conf = load_settings(monkeypatch, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert conf["DATABASES"]["default"]["OPTIONS"] == conf["SQLITE_OPTIONS"]  # what the default file gets
    handler = ConnectionHandler({"default": dict(conf["DATABASES"]["default"])})
    try:
        with django_db_blocker.unblock(), handler["default"].cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
    finally:
        handler.close_all()


def test_options_given_in_a_sqlite_database_url_win_over_the_defaults(monkeypatch, tmp_path):
    conf = load_settings(monkeypatch, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}?timeout=5")
    options = conf["DATABASES"]["default"]["OPTIONS"]
    assert options["timeout"] == 5
    assert options["transaction_mode"] == "IMMEDIATE" and "journal_mode=WAL" in options["init_command"]


def test_redis_url_switches_the_task_broker_and_cache(monkeypatch, tmp_path):
    conf = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert conf["Q_CLUSTER"]["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in conf["Q_CLUSTER"]
    assert conf["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["Q_CLUSTER"]["retry"] > conf["Q_CLUSTER"]["timeout"]

    conf = load_settings(monkeypatch, tmp_path)
    assert conf["Q_CLUSTER"]["orm"] == "default"


def test_default_sqlite_file_runs_in_wal_mode_with_immediate_transactions(monkeypatch, tmp_path, django_db_blocker):
    conf = load_settings(monkeypatch, tmp_path)
    db = dict(conf["DATABASES"]["default"])
    assert Path(db["NAME"]) == tmp_path / "var" / "omnishop.sqlite3"
    handler = ConnectionHandler({"default": db})
    wrapper = handler["default"]
    other = sqlite3.connect(db["NAME"], timeout=0, isolation_level=None)
    try:
        with django_db_blocker.unblock():
            with wrapper.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA foreign_keys")
                assert cursor.fetchone()[0] == 1
            # What atomic() does on SQLite: "BEGIN IMMEDIATE" takes the write lock before any
            # write, so a second writer waits (busy timeout) instead of failing half way through.
            wrapper._start_transaction_under_autocommit()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            wrapper.connection.execute("ROLLBACK")
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        handler.close_all()


def test_test_database_uses_immediate_transactions_too():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


NONCE = re.compile(r"'nonce-([^']+)'")


@pytest.mark.django_db
def test_pages_carry_a_csp_header_whose_fresh_nonce_the_page_uses(client):
    first = client.get("/")
    second = client.get("/")
    assert first.status_code == 200
    policy = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    nonce = NONCE.search(script_src).group(1)
    assert nonce != NONCE.search(second.headers["Content-Security-Policy"]).group(1)
    html = first.content.decode()
    assert f'<style nonce="{nonce}">' in html  # the brand's CSS variables
    assert re.search(rf'<script [^>]*nonce="{re.escape(nonce)}"', html)  # htmx
    assert " style=\"" not in html  # inline style attributes would be blocked


@pytest.mark.django_db
def test_admin_pages_carry_the_csp_header_too(client):
    response = client.get("/admin/login/")
    assert "'nonce-" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_standard_channels_exist_from_the_first_migrate():
    from kernel.channels import STANDARD_CHANNELS, pos_channel
    from kernel.models import Channel

    assert set(Channel.objects.values_list("code", flat=True)) >= {code for code, *_ in STANDARD_CHANNELS}
    from kernel.models import Location

    store = Location.objects.create(code="kyoto", name="京都店", kind="store")
    assert pos_channel(store).location == store and pos_channel(store).kind == "pos"


# --- the Django admin's user accounts ------------------------------------------------------

@pytest.fixture
def admin_users(db):
    """A superuser, and an administrator (staff with the administrator role, not a superuser)."""
    from django.contrib.auth import get_user_model

    from kernel import roles

    User = get_user_model()
    root = User.objects.create_superuser("root@example.jp", "pass-Word-123")
    administrator = User.objects.create_user("admin@example.jp", "pass-Word-123")
    roles.assign_role(administrator, roles.ADMINISTRATOR)
    return root, administrator


def user_form(user, **changes) -> dict:
    data = {"email": user.email, "display_name": user.display_name, "language": user.language, "location": "",
            "is_active": "on", "is_staff": "on" if user.is_staff else "",
            "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
            "last_login_0": "", "last_login_1": "", "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"), **changes}
    return {key: value for key, value in data.items() if value != ""}


def test_only_a_superuser_can_grant_superuser_status_in_the_admin(client, admin_users):
    from django.urls import reverse

    root, administrator = admin_users
    client.force_login(administrator)
    url = reverse("admin:omnishop_user_change", args=[administrator.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    response = client.post(url, user_form(administrator, is_superuser="on", display_name="管理者"))
    assert response.status_code == 302
    administrator.refresh_from_db()
    assert administrator.display_name == "管理者"  # the form was saved ...
    assert not administrator.is_superuser  # ... without the superuser flag

    client.force_login(root)
    assert 'name="is_superuser"' in client.get(url).content.decode()
    assert client.post(url, user_form(administrator, is_superuser="on")).status_code == 302
    administrator.refresh_from_db()
    assert administrator.is_superuser


def test_an_administrator_cannot_change_a_superusers_account(client, admin_users):
    from django.urls import reverse

    root, administrator = admin_users
    client.force_login(administrator)
    response = client.post(reverse("admin:omnishop_user_change", args=[root.pk]),
                           user_form(root, email="mine@example.jp"))
    assert response.status_code == 403
    response = client.post(reverse("admin:auth_user_password_change", args=[root.pk]),
                           {"password1": "taken-Over-123", "password2": "taken-Over-123"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.jp" and root.check_password("pass-Word-123")


def test_site_url_follows_the_port_the_embedded_server_runs_on(monkeypatch, tmp_path):
    """Email links ignored PORT: `PORT=8765 ./dev up` mailed links to localhost:8000."""
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert load_settings(monkeypatch, tmp_path)["SITE_URL"] == "http://localhost:8000"
    assert load_settings(monkeypatch, tmp_path, PORT="8765")["SITE_URL"] == "http://localhost:8765"
    conf = load_settings(monkeypatch, tmp_path, PORT="8765", SITE_URL="https://shop.example.jp")
    assert conf["SITE_URL"] == "https://shop.example.jp"


def test_debug_is_off_unless_explicitly_turned_on(monkeypatch, tmp_path):
    for mode in ("dev", "test", "production"):
        conf = load_settings(monkeypatch, tmp_path, OMNISHOP_MODE=mode, SECRET_KEY="s" * 60)
        assert conf["DEBUG"] is False, mode
    assert load_settings(monkeypatch, tmp_path, OMNISHOP_MODE="dev", DEBUG="1")["DEBUG"] is True
    conf = load_settings(monkeypatch, tmp_path, OMNISHOP_MODE="dev")
    # the embedded setup serves static files without DEBUG and without collectstatic
    assert conf["WHITENOISE_USE_FINDERS"] and conf["WHITENOISE_AUTOREFRESH"]
    conf = load_settings(monkeypatch, tmp_path, OMNISHOP_MODE="production", SECRET_KEY="s" * 60)
    assert not conf["WHITENOISE_USE_FINDERS"] and not conf["WHITENOISE_AUTOREFRESH"]


DEV_REQUESTS = """
import json

import django
from django.core.management import call_command

django.setup()
from django.conf import settings
from django.test import Client

call_command("migrate", verbosity=0)
client = Client()
missing = client.get("/no-such-page/")
static = client.get("/static/css/base.css")
print(json.dumps({"debug": settings.DEBUG, "status": missing.status_code, "html": missing.content.decode(),
                  "static": static.status_code}))
"""


def test_the_embedded_setup_shows_the_branded_404_and_serves_static_files_without_debug(tmp_path):
    """`./dev up` (dev mode, DEBUG unset) showed Django's English technical 404 page."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(OMNISHOP_MODE="dev", OMNISHOP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="omnishop.settings",
               LANGUAGE_CODE="ja")
    result = subprocess.run([sys.executable, "-c", DEV_REQUESTS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["debug"] is False
    assert page["status"] == 404 and 'class="sf-header' in page["html"]
    assert "お探しのページは見つかりませんでした" in page["html"] and "URLconf" not in page["html"]
    assert page["static"] == 200

    env["DEBUG"] = "1"  # asked for explicitly: Django's technical page, for developers
    result = subprocess.run([sys.executable, "-c", DEV_REQUESTS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    page = json.loads(result.stdout.strip().splitlines()[-1])
    assert page["debug"] is True and "URLconf" in page["html"]
