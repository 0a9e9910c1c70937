"""Failed logins are throttled per account and per client address, on every login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.core.management import call_command
from django.db.models import F
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pass-Word-123"
LIMIT = 3
JA = "ログインを一時的に停止しています"
EN = "Too many failed sign-in attempts"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


class Login:
    """One of the four logins: ``attempt(email, password)`` -> the response."""

    def __init__(self, name: str, path: str, email: str):
        self.name, self.path, self.email = name, path, email

    def attempt(self, client: Client, password: str, email: str | None = None, **headers):
        email = email or self.email
        if self.name == "api":
            return client.post(self.path, {"email": email, "password": password},
                               content_type="application/json", headers=headers)
        return client.post(self.path, {"username": email, "password": password}, headers=headers)

    def succeeded(self, response) -> bool:
        if self.name == "api":
            return response.status_code == 200 and "token" in response.json()
        return response.status_code == 302


LOGINS = {
    "storefront": Login("storefront", "/account/login/", "shopper@example.jp"),
    "console": Login("console", "/console/login/", "store_staff@example.jp"),
    "admin": Login("admin", "/admin/login/", "administrator@example.jp"),
    "api": Login("api", "/api/v1/auth/token/", "store_staff@example.jp"),
}


def fail(login: Login, client: Client, times: int = LIMIT, **kwargs):
    return [login.attempt(client, "wrong-password", **kwargs) for _ in range(times)]


def expire_the_cool_off():
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))


@pytest.mark.parametrize("name", LOGINS)
def test_after_the_limit_the_right_password_is_refused_until_the_cool_off_ends(staff, name):
    login, client = LOGINS[name], Client()
    answers = fail(login, client)
    assert answers[0].status_code in (200, 400)  # the usual "wrong email or password"

    refused = login.attempt(client, PASSWORD)
    assert refused.status_code == 429
    assert not login.succeeded(refused)
    assert JA in refused.content.decode()
    assert "15" in refused.content.decode()  # minutes to wait

    expire_the_cool_off()
    assert login.succeeded(login.attempt(client, PASSWORD))


@pytest.mark.parametrize("name", LOGINS)
def test_the_lockout_speaks_the_visitors_language(staff, name, settings):
    login, client = LOGINS[name], Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(login, client)
    refused = login.attempt(client, PASSWORD)
    assert refused.status_code == 429
    assert EN in refused.content.decode()
    assert JA not in refused.content.decode()


def test_the_api_answers_json_with_retry_after(staff):
    login, client = LOGINS["api"], Client()
    fail(login, client)
    refused = login.attempt(client, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "locked_out"
    assert JA in refused.json()["detail"]
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60


def test_a_locked_out_attempt_costs_no_password_hash(staff, monkeypatch):
    login, client = LOGINS["storefront"], Client()
    fail(login, client)
    checks = []
    original = ModelBackend.authenticate

    def counting(self, *args, **kwargs):
        checks.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    for _ in range(5):
        assert login.attempt(client, "wrong-password").status_code == 429
    assert login.attempt(client, PASSWORD).status_code == 429
    assert checks == []


def test_attempts_during_a_lockout_do_not_extend_it(staff):
    login, client = LOGINS["console"], Client()
    fail(login, client)
    before = list(AccessAttempt.objects.values_list("attempt_time", "failures_since_start"))
    fail(login, client, times=5)
    assert list(AccessAttempt.objects.values_list("attempt_time", "failures_since_start")) == before
    expire_the_cool_off()
    assert login.succeeded(login.attempt(client, PASSWORD))


def test_an_account_is_locked_whichever_address_the_guesses_come_from(staff):
    login = LOGINS["console"]
    for n in range(LIMIT):
        login.attempt(Client(REMOTE_ADDR=f"198.51.100.{n}"), "wrong-password")
    newcomer = Client(REMOTE_ADDR="203.0.113.9")
    assert login.attempt(newcomer, PASSWORD).status_code == 429
    other = login.attempt(newcomer, PASSWORD, email="hq_marketer@example.jp")
    assert login.succeeded(other)  # the address itself is not locked


def test_one_address_is_locked_across_accounts_and_a_forged_forwarded_for_does_not_help(staff):
    login = LOGINS["storefront"]
    client = Client(REMOTE_ADDR="198.51.100.1")
    for n in range(LIMIT):
        login.attempt(client, "wrong-password", email=f"guess{n}@example.jp",
                      **{"X-Forwarded-For": f"203.0.113.{n}"})
    refused = login.attempt(client, PASSWORD, email="shopper@example.jp", **{"X-Forwarded-For": "203.0.113.99"})
    assert refused.status_code == 429
    assert login.succeeded(login.attempt(Client(REMOTE_ADDR="198.51.100.2"), PASSWORD))  # another address


def test_email_case_and_spaces_do_not_give_fresh_attempts(staff):
    login, client = LOGINS["console"], Client()
    for email in ("store_staff@example.jp", "STORE_STAFF@example.jp", " Store_Staff@Example.jp "):
        login.attempt(Client(REMOTE_ADDR=f"198.51.100.{len(email)}"), "wrong-password", email=email)
    assert login.attempt(client, PASSWORD).status_code == 429


def test_signing_in_clears_only_that_accounts_failures(staff):
    """An attacker with an account of their own cannot wash the address's count by signing in."""
    login, attacker = LOGINS["storefront"], Client(REMOTE_ADDR="198.51.100.7")
    fail(login, attacker, times=LIMIT - 1, email="store_staff@example.jp")
    assert login.succeeded(login.attempt(attacker, PASSWORD, email="shopper@example.jp"))
    login.attempt(Client(REMOTE_ADDR="198.51.100.7"), "wrong-password", email="store_staff@example.jp")
    assert login.attempt(Client(), PASSWORD, email="store_staff@example.jp").status_code == 429


def test_signing_in_forgets_the_accounts_own_typos(staff):
    login, client = LOGINS["console"], Client()
    fail(login, client, times=LIMIT - 1)
    assert login.succeeded(login.attempt(client, PASSWORD))
    fail(login, Client(), times=LIMIT - 1)
    assert login.succeeded(login.attempt(Client(), PASSWORD))


def test_an_administrator_can_unlock_an_account_early(staff):
    login, client = LOGINS["console"], Client()
    fail(login, client)
    assert login.attempt(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "store_staff@example.jp")
    call_command("axes_reset_ip", "127.0.0.1")
    assert login.succeeded(login.attempt(client, PASSWORD))
