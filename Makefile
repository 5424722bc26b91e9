# Two commands for a fresh machine (see README):
#   make sample   set up .venv and run the whole pipeline on the bundled sample (data/raw)
#   make test     set up .venv and run the tests
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup sample lint test test-fast ui docs clean

setup: $(STAMP)

# Install the project (editable) with its test tools; the stamp re-runs this when
# pyproject.toml changes. .env points `dagster dev` at this checkout's Dagster instance.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	# Byte-compile stancewire's own modules, as pip does for the packages it installs: where
	# PYTHONDONTWRITEBYTECODE is set, each process would otherwise compile them again
	# (0.1 s; `stancewire run` starts three). A module edited since is compiled in memory.
	$(VENV)/bin/python -m compileall -q pipeline assets expectations cli bench
	# Build the tables a first run would otherwise build in each of its processes (country
	# names, places, first names, the detector's codes; about 1.5 s of a first 240-article run,
	# docs/scaling.md).
	$(VENV)/bin/stancewire prepare
	$(VENV)/bin/python -c "from cli.main import prepare_dagster_home; prepare_dagster_home('data/dagster')"
	printf 'DAGSTER_HOME=%s\nDAGSTER_DISABLE_TELEMETRY=true\nGX_ANALYTICS_ENABLED=false\n' "$(CURDIR)/data/dagster" > .env
	touch $(STAMP)

sample: $(STAMP)
	$(VENV)/bin/stancewire run

# ruff, configured in pyproject.toml: lint rules and the formatter's layout.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# --durations: the slowest tests, so that a CI run near its 10-minute budget shows where the time goes.
# TEST_WORKERS: pytest-xdist workers; --dist loadfile keeps each file (and its module fixtures)
# on one worker. On this 2-core CI machine two workers took the tests from 590 s to 386 s;
# three, 365 s against 421 s for two on a clean clone an hour apart (many tests wait on
# subprocesses, locks and servers, so a third worker fills the idle time).
# `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 3
test: lint
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The fast tier, to iterate on: every test but those that run the pipeline end to end, start
# dagster dev or Celery workers (they are skipped, with the reason). `make test` runs all.
test-fast: $(STAMP)
	STANCEWIRE_TESTS=fast $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile -q -m "not slow" -rfE

ui: $(STAMP)
	$(VENV)/bin/stancewire ui

docs: $(STAMP)
	$(VENV)/bin/stancewire docs

clean:
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.lock data/warehouse.duckdb.wal data/warehouse.duckdb.staging \
		data/releases data/dagster
