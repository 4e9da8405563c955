"""The real settings, with the test run's files kept in a temporary folder."""

import os
import tempfile

os.environ.setdefault("ATLAS_VAR_DIR", tempfile.mkdtemp(prefix="atlas-test-"))

from config.settings import *  # noqa: E402,F401,F403
from config.settings import DATABASES, REDIS_URL, VAR_DIR  # noqa: E402

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so forked workers in the tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Argon2 is tested on its own (tests/accounts/test_passwords.py); elsewhere a fast hasher keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
GOOGLE_CLIENT_IDS = ["atlas-test-client.apps.googleusercontent.com"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
