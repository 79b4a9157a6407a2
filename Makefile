# The two commands: `make run` starts everything, `make test` runs the tests.
# Both create the virtualenv and, unless DATABASE_URL / REDIS_URL are set, start private
# PostgreSQL and Redis servers under ./var (see scripts/localservers.py).
#
# Dependencies: requirements*.txt name what we use, pinned by hand; requirements*.lock are the
# complete installed sets with every transitive dependency and its sha256 hashes, generated from
# them with a pinned uv (in requirements-dev.txt). The virtualenv and the image install only from
# the locks (`pip install --require-hashes --no-deps`). To update a dependency: change its pin in
# requirements*.txt, run `make lock`, review the diff of the .lock files and commit both.
# `make lock` is reproducible: uv keeps every version already locked unless its pin changed, so
# the same .txt files give the same locks; `make lock UV_ARGS=--upgrade` moves the transitive
# dependencies to their newest releases (then run `make audit`).
# `make audit` checks the locks for known vulnerabilities (pip-audit, see scripts/audit.py).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --no-config $(UV_ARGS)

.PHONY: run test lint audit format stop clean venv lock screenshots

$(STAMP): requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements-dev.lock
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

audit: venv
	$(PY) scripts/audit.py requirements.lock requirements-sim.lock requirements-dev.lock

lock: venv
	$(UV_COMPILE) requirements.txt -o requirements.lock
	$(UV_COMPILE) requirements-sim.txt -o requirements-sim.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -c requirements-sim.lock \
		-o requirements-dev.lock

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

stop: venv
	$(PY) scripts/localservers.py down

clean: stop
	rm -rf var $(VENV)
