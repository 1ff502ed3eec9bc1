# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run serve test lint venv migrate seed messages clean loadtest

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Development commands run with DEBUG on (the development secret key); `make serve` runs with DEBUG off.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

migrate: venv
	$(DEV) $(PY) manage.py migrate --noinput

run: migrate
	$(DEV) $(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "  政企挂钩联系服务平台 / Enterprise Liaison CRM:  http://$(HOST)/"
	@echo "  Demo logins (password demo12345): officer, manager, leader, admin, county_officer"
	@echo ""
	$(DEV) $(PY) manage.py runserver $(HOST)

# Production-like: DEBUG off, static files collected, gunicorn ($$WEB_CONCURRENCY workers) + the task worker.
serve: venv
	HOST=$(HOST) scripts/serve.sh

test: venv
	$(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(DEV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache

messages: venv
	$(DEV) $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles
	$(DEV) $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles

# Load test (DESIGN §9.2): locust, headless, USERS clients (default 8) for DURATION (default 60s) against HOST;
# starts `make serve` when nothing answers there. Prints requests/s, p50/p95/p99 and errors.
loadtest: venv
	HOST=$(HOST) scripts/loadtest.sh
