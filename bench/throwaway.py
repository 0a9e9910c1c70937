"""Run a benchmark's child process against a throwaway database: a SQLite WAL file in a temporary
OMNISHOP_VAR_DIR, or a PostgreSQL database ``<prefix>_<pid>`` created on ``postgres`` (a server URL
without a database) and dropped afterwards, whatever happens."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(*, script: str, args: list[str], backend: str, postgres: str, prefix: str,
              settings_module: str = "omnishop.settings") -> None:
    var_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    env = {**os.environ, "OMNISHOP_VAR_DIR": str(var_dir), "OMNISHOP_MODE": "dev", "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONWARNINGS": "ignore"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    dbname = f"{prefix.replace('-', '_')}_{os.getpid()}"
    admin = None
    if backend == "postgresql":
        import psycopg

        admin = psycopg.connect(f"{postgres}/postgres", autocommit=True)
        admin.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"{postgres}/{dbname}"
    try:
        subprocess.run([sys.executable, script, "--child", *args], cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.close()
