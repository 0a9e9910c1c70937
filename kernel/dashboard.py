"""The console dashboard's tiles: each app says what the person signed in acts on, as a count that
links to where they act (pickups to prepare → the pickup desk, transfers to receive → the
transfers, campaigns waiting for approval → the campaigns). The dashboard (the shell's page,
omnishop.views) draws the tiles of every app; an app declares its function on its AppConfig::

    console_dashboard_tiles = "orders.dashboard.dashboard_tiles"

A tile function is ``tiles(*, user, here) -> list[Tile]``: ``here`` is the store or warehouse a
scoped user works at, None for HQ and administrators (every location). It returns only the tiles
that role acts on (checking ``user.has_perm`` for the page a tile links to), in a fixed number of
queries. The journeys engine adds its own ("journeys running", "waiting for approval") the same
way, without the dashboard changing."""

from dataclasses import dataclass
from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .registry import declarations


@dataclass(frozen=True)
class Tile:
    key: str  # stable: tests and the page's CSS hook (stat-<key>)
    label: str
    value: int | str
    url: str  # where the role acts on it
    note: str = ""
    tone: str = ""  # "", "accent", "warn", "ok", "danger": the stat's colour
    order: int = 50  # the dashboard sorts by it (then by app)
    money: bool = False


@cache
def tile_functions() -> tuple:
    return tuple(import_string(path) for _label, path in declarations("console_dashboard_tiles"))


@receiver(setting_changed)
def _installed_apps_changed(*, setting, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        tile_functions.cache_clear()


def dashboard_tiles(*, user, here=None) -> list[Tile]:
    """Every app's tiles for ``user`` at ``here`` (None: every location), in their order."""
    tiles = [tile for function in tile_functions() for tile in function(user=user, here=here)]
    return sorted(tiles, key=lambda tile: tile.order)
