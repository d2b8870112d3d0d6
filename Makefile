# Two commands set everything up on a fresh machine with Python 3.11: `make run`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000

BROWSER_CHECKS := tests/browser/node_modules/.installed

.PHONY: install install-browser-checks run demo-code test test-fast lint check-migrations format bench bench-quick bench-data bench-soak clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# axe-core and Lighthouse for the browser tests' accessibility checks (tests/browser/checks.py),
# from the npm registry at the versions in tests/browser/package-lock.json. Without npm the
# checks skip on a laptop (and fail in CI, whose .ci/run installs Node.js when missing).
$(BROWSER_CHECKS): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the accessibility checks will skip (apt-get install nodejs npm)"; fi

install-browser-checks: $(BROWSER_CHECKS)

# A development machine: DEBUG on (unless set), which lets manage.py, the worker and beat run
# with the public development key (without it they refuse to start).
run: export DEBUG ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_catalogue
	REHAB_PORT=$(PORT) $(PY) manage.py seed_demo
	@echo ""
	@echo "  Starting web, worker and beat: the URL and the demo accounts follow once they are up."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" REHAB_PORT=$(PORT) $(BIN)/honcho start -f Procfile

# The demo therapist's second sign-in step: the code their authenticator app would show now.
demo-code: export DEBUG ?= true
demo-code: install
	@$(PY) manage.py seed_demo --code

test: install install-browser-checks
	$(BIN)/pytest

# The inner loop: no schemathesis, browser, deploy or integration tests (CI runs `make test`).
test-fast: install
	$(BIN)/pytest -m "not integration and not browser and not schemathesis" --ignore=tests/test_deploy.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (bench/README.md). Bench data goes to its own databases, never to `test`:
# SQLite var/bench.sqlite3 by default, or e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench
N ?= 1000
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/var/bench.sqlite3

bench-data: install
	$(PY) -m bench.generate --patients $(N) --database $(BENCH_DATABASE_URL)

bench: install
	$(PY) -m bench.run $(ARGS)

bench-quick: install
	$(PY) -m bench.run --quick $(ARGS)

# 64 clients for 2 minutes against gunicorn + PostgreSQL (database bench_soak): zero errors?
bench-soak: install
	$(PY) -m bench.run --only soak $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find var -mindepth 1 ! -name .gitignore -delete
