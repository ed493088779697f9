# Two entry points (see README): `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test setup chromium index evals lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: the CPU build on this machine's disk, never a CUDA download
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Debian's Chromium drives the browser tests; no browser is ever downloaded.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed: browser tests will be skipped"

index: setup
	$(PY) -m ingest --quiet

run: setup
	$(PY) app.py

test: setup chromium
	$(PY) -m pytest -q
	$(PY) -m evals run --check --no-progress

evals: index
	$(PY) -m evals run

lint: setup
	$(PY) -m ruff check .

bench: index
	$(PY) -m ingest.bench
	$(PY) scripts/bench_turn.py
	$(PY) scripts/bench_triage.py
