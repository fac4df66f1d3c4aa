"""The compose file can't be started here (no Docker engine); check its shape instead."""

from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_service_with_a_health_check():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "worker-io", "beat"} <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"


def test_app_services_share_one_image_and_wait_for_healthy_backends():
    services = _compose()["services"]
    app_services = ["web", "worker", "worker-io", "beat"]
    assert len({services[name]["image"] for name in app_services}) == 1
    for name in app_services:
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "gunicorn" in services["web"]["command"]


def test_env_example_names_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "GEMINI_API_KEY"):
        assert variable in example
