"""Racing separate processes on SQLite: how gunicorn workers and the task worker share the
embedded database. The test's in-memory database is copied to a WAL file the racers open."""

import os
import sqlite3
from pathlib import Path

from django.db import connection


def wal_copy_of_test_database(tmp_path: Path, name: str, **env_extra: str) -> tuple[Path, dict[str, str]]:
    """Copy the test database (data and sessions included) to ``tmp_path/name`` in WAL mode;
    returns its path and the environment a racing ``python -c`` process opens it with."""
    path = tmp_path / name
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "OMNISHOP_MODE": "test",
           "DJANGO_SETTINGS_MODULE": "omnishop.settings", "OMNISHOP_VAR_DIR": str(tmp_path / "var"), **env_extra}
    return path, env
