# Every target works from a fresh clone: it installs uv when missing and syncs the locked environment.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PORT ?= 8080

.PHONY: help env test lint typecheck pytest compose-check demo airflow bench bench-quick clean celery-demo chaos constraints test-compat test-ui

help:
	@echo "make test         lint, type-check and run the test suite"
	@echo "make demo         run the example tax-season import against the emulator"
	@echo "make airflow      airflow standalone + the emulator, to click through the UI (PORT=8080)"
	@echo "make test-ui      the UI's first hour in headless Chromium (screenshots in build/ui-screenshots/)"
	@echo "make bench        benchmarks at tax-season scale, ~10 min (writes benchmarks/RESULTS.md)"
	@echo "make bench-quick  a smoke run: 1,000 clients, one repetition, no DAG run (benchmarks/.out/)"
	@echo "make celery-demo  5,000 clients on CeleryExecutor, Postgres, Redis and two workers"
	@echo "make chaos        the celery-demo stack under faults: kills a worker and the triggerer, freezes Filed"
	@echo "make test-compat  the suite on Airflow 3.3.0 + Python 3.10 (the floor), and on Python 3.13"

env:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || { echo "Installing uv (pip install uv)..."; python3 -m pip install --quiet uv; }
	@$(if $(wildcard .venv),,echo "Installing the locked environment into .venv (uv.lock; about a minute the first time)...")
	@$(UV) sync --frozen $(if $(wildcard .venv),--quiet,)

lint: env
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen ruff check .

typecheck: env
	$(UV) run --frozen mypy airflow_provider_filed

pytest: env
	$(UV) run --frozen pytest

test: lint typecheck compose-check pytest

compose-check: env
	$(UV) run --frozen docker-compose -f docker-compose.yaml config -q

demo: env
	$(UV) run --frozen python scripts/demo.py

airflow: env
	$(UV) run --frozen python scripts/airflow_standalone.py --port $(PORT)

# `make airflow` on a free port, driven by Playwright in Debian's chromium (installed as root when missing).
test-ui: env
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium (apt-get)"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	timeout -s KILL 1200 $(UV) run --frozen pytest -m ui tests/ui

clean:
	rm -rf .venv .airflow .mypy_cache .ruff_cache

bench: env
	$(UV) run --frozen python benchmarks/run.py

bench-quick: env
	$(UV) run --frozen python benchmarks/run.py --quick

# CeleryExecutor, Postgres and Redis on this machine (scripts/celery_stack/); state in .airflow/celery/.
celery-demo: env
	$(UV) run --frozen python scripts/celery_demo.py

# The same stack while a worker and the triggerer are killed and Filed fails and freezes; state in .airflow/chaos/.
chaos: env
	$(UV) run --frozen python scripts/chaos.py

# constraints/constraints.txt from uv.lock (make test checks they agree).
constraints: env
	$(UV) run --frozen python scripts/constraints.py

# The suite on the oldest supported Airflow (Python 3.10) and on Python 3.13, each in a pip-made venv.
test-compat: env
	$(UV) run --frozen python scripts/compat.py $(foreach t,$(TARGETS),--target $(t))
