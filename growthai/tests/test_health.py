import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from growthai.celery import app


def test_healthz_reports_database_and_broker(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == (
        "postgresql" if "postgres" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    )
    assert body["broker"]["ok"] is True
    assert body["broker"]["transport"] == ("redis" if settings.REDIS_URL else "filesystem")


def test_healthz_says_degraded_when_the_broker_is_unreachable(client, db):
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True


@pytest.mark.slow
def test_production_settings_pass_check_deploy():
    env = {
        "DJANGO_SETTINGS_MODULE": "growthai.settings.production",
        "SECRET_KEY": "k3y-" + "x9Q!vT7#mB2$zL5^nR8&wE4*" * 3,
        "ALLOWED_HOSTS": "growthai.example.com",
        "PATH": "/usr/bin:/bin",
        "GROWTHAI_VAR_DIR": str(settings.VAR_DIR),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
