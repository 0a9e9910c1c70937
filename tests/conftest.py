"""Shared fixtures. Data is built through the same services the application uses."""

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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
