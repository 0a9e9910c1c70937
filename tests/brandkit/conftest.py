import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_theme_cache():
    """The theme is cached; start and end every brand kit test with an empty cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kit(db):
    from brandkit.services import brandkit_seed_default

    return brandkit_seed_default()


@pytest.fixture
def draft(kit):
    from brandkit.services import draft_get_or_create

    return draft_get_or_create(kit=kit)
