# Two commands for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers: `auto` is one per core; `make test WORKERS=0` runs in one process
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

.PHONY: demo test test-fast lint install chromium bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) chromium

# The report screenshot test renders the report in a headless Chromium: found on PATH, or the
# Debian package `chromium` installed with apt-get (as root, or through sudo without a password).
APT_CHROMIUM := apt-get install -y --no-install-recommends chromium
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium || command -v chromium-browser)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: not found and apt-get is missing: install Chromium (a 'chromium' or 'chromium-browser' command on PATH); the test suite needs it" >&2; \
		exit 1; \
	else \
		if [ "$$(id -u)" = 0 ]; then sudo=""; \
		elif command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; \
		else echo "chromium: not found; run as root: $(APT_CHROMIUM)" >&2; exit 1; fi; \
		echo "chromium: not found, installing the Debian package ($(APT_CHROMIUM))"; \
		$$sudo $(APT_CHROMIUM) >/dev/null || { $$sudo apt-get update >/dev/null && $$sudo $(APT_CHROMIUM) >/dev/null; } || \
		{ echo "chromium: the installation failed; run: sudo $(APT_CHROMIUM)" >&2; exit 1; }; \
	fi

demo: $(STAMP)
	$(BIN)/cadastre demo

test: $(STAMP)
	$(PYTEST)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_horizon.py
	$(BIN)/python benchmarks/bench_irradiance.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
