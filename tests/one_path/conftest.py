"""The console tests' data (a signed-up customer with pickup orders at both stores), and cheap
password hashing for the many sign-ins."""

import pytest

from tests.console.conftest import customer, pickups  # noqa: F401  (fixtures used here)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
