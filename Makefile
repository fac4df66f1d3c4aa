# GrowthAI — `make run` sets up and starts everything; `make test` runs the suite.
# With no DATABASE_URL / REDIS_URL both use SQLite and a filesystem Celery broker (no server).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# A CPU worker (imports, training, scoring, recommendation builds) and an I/O worker
# (drafting, sending) whose threads wait on the model API instead of holding a core each.
CPU_WORKER := $(BIN)/celery -A growthai worker -Q cpu --concurrency 1 --loglevel INFO -n cpu@%h
IO_WORKER := $(BIN)/celery -A growthai worker -Q io --pool threads --concurrency 32 --loglevel INFO -n io@%h
BEAT := $(BIN)/celery -A growthai beat --loglevel INFO --schedule var/celerybeat-schedule
# Enough labelled customers for a churn model worth looking at; `seed_demo` alone defaults to
# the original design's 45.
DEMO_CUSTOMERS ?= 500

.PHONY: install run migrate demo models worker web test lint format bench clean

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

# First run only: train and promote a churn model, score everyone, build recommendations.
models: demo
	$(BIN)/python manage.py train_churn --if-no-active-model
	$(BIN)/python manage.py score_churn
	$(BIN)/python manage.py build_recommendations

worker: install
	@trap 'kill 0' INT TERM EXIT; $(CPU_WORKER) & $(IO_WORKER) & $(BEAT)

web: install
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Starts the web server beside real Celery workers and beat; Ctrl-C stops them all.
run: models
	@echo "GrowthAI on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, workers and beat)"
	@trap 'kill 0' INT TERM EXIT; \
	$(CPU_WORKER) & $(IO_WORKER) & $(BEAT) & \
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
