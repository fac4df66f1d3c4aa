import os
import tempfile
from pathlib import Path

# Each test run gets its own scratch folder for the SQLite file, broker, cache and media, so
# a worker process started by the tests shares them and nothing leaks between runs.
os.environ.setdefault("GROWTHAI_VAR_DIR", tempfile.mkdtemp(prefix="growthai-test-"))

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # On disk, not in memory, so a Celery worker process can open the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(VAR_DIR) / "test-db.sqlite3")}

# A Celery worker started by the tests is told which (already created) test database to use.
_worker_db_name = os.environ.get("GROWTHAI_WORKER_DB_NAME")
if _worker_db_name:
    DATABASES["default"]["NAME"] = _worker_db_name
