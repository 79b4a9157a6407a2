# The two commands: `make run` starts everything, `make test` runs the tests.
# Both create the virtualenv and, unless DATABASE_URL / REDIS_URL are set, start private
# PostgreSQL and Redis servers under ./var (see scripts/localservers.py).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format stop clean venv screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) scripts/dev.py run

test: venv
	$(PY) scripts/dev.py test $(PYTEST_ARGS)

# docs/screenshots/*.png, taken by the browser tests (tests/browser).
screenshots: venv
	SAVE_SCREENSHOTS=1 $(PY) scripts/dev.py test tests/browser -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

stop: venv
	$(PY) scripts/localservers.py down

clean: stop
	rm -rf var $(VENV)
