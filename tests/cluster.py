"""The real worker cluster (`manage.py qcluster`) as a subprocess on the test database, for end-to-end tests.

The subprocess uses the same test database as the test (a file for SQLite, the test database on
PostgreSQL), the test's media folder and the test run's var folder, so the web side and the workers
see the same items and files.
"""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def database_url():
    """The test database (not the configured one) as a DATABASE_URL for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def cluster_can_share_database():
    """An in-memory SQLite database lives in this process only; a worker process cannot see it."""
    return not (connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]))


@contextmanager
def running_cluster(log_path, **environment):
    """Starts `manage.py qcluster` (one worker) with `environment` added, writing its output to log_path;
    stops it on leaving."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "ATLAS_WORKERS": "1", **environment}
    # A file, not a pipe: a pipe nobody reads fills up and stalls a chatty worker.
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cluster_log(log_path, last=4000):
    """The end of the cluster's output, for assertion messages."""
    path = Path(log_path)
    return path.read_text(errors="replace")[-last:] if path.exists() else "(no cluster output)"
