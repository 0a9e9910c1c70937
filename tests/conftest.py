"""Shared fixtures. Data is built through the same services the application uses."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder and empty caches (the theme and compiled lint rules)."""
    from django.core.cache import cache

    from brandkit import linting as brandkit_linting

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    # Compiled lint rules are kept per published version id; rolled-back tests reuse ids.
    brandkit_linting._compiled.clear()
    yield
    cache.clear()
    brandkit_linting._compiled.clear()


@pytest.fixture
def shop(db):
    """A small shop: a warehouse, two pickup stores, channels, one product with two sizes."""
    from tests.builders import build_shop

    return build_shop()


@pytest.fixture
def staff(shop):
    """One console user per role (store staff at store A, operator at the warehouse)."""
    from tests.builders import build_staff

    return build_staff(shop)
