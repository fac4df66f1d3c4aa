# GrowthAI — `make run` sets up and starts everything; `make test` runs the suite.
# With no DATABASE_URL / REDIS_URL both use SQLite and a filesystem Celery broker (no server).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKER_CONCURRENCY ?= 2
DEMO_CUSTOMERS ?= 45

.PHONY: install run migrate demo worker web test lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --customers $(DEMO_CUSTOMERS) --if-empty
	$(BIN)/python manage.py create_demo_users

worker: install
	$(BIN)/celery -A growthai worker -Q cpu,io --concurrency $(WORKER_CONCURRENCY) --loglevel INFO

web: install
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Starts a real Celery worker beside the web server; Ctrl-C stops both.
run: demo
	@echo "GrowthAI on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A growthai worker -Q cpu,io --concurrency $(WORKER_CONCURRENCY) --loglevel INFO & \
	$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
