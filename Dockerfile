# One image for web, workers and beat.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DJANGO_SETTINGS_MODULE=growthai.settings.production \
    GROWTHAI_VAR_DIR=/app/var

# The CPU build of torch keeps the image free of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

RUN groupadd --system app && useradd --system --gid app --home /app app
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --extra-index-url "$TORCH_INDEX_URL" "torch==2.13.0" \
 && pip install .

COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var && chown -R app:app /app/var

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "growthai.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
