import time

from django.conf import settings
from django.db import connection


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" to a load balancer
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _check_broker() -> dict:
    from growthai.celery import app

    started = time.perf_counter()
    transport = settings.CELERY_BROKER_URL.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "transport": transport,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def health_status() -> dict:
    database = _check_database()
    broker = _check_broker()
    ok = database["ok"] and broker["ok"]
    return {"status": "ok" if ok else "degraded", "database": database, "broker": broker}
