# Two commands: `make demo` runs the platform, `make test` runs every check.
# Both set up what they need on a fresh Debian machine with Python 3.11.

PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
# Debian installs the broker and the database server under /usr/sbin.
export PATH := $(PATH):/usr/sbin:/usr/local/sbin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit services setup bench eval clean

demo: setup
	$(VENV)/bin/byggpuls demo

test: setup services lint typecheck
	$(VENV)/bin/pytest -n 3

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	[ -x $(UV) ] || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install --quiet uv==$(UV_VERSION); }
	$(UV) sync --frozen
	touch $@

# The tests start their own Mosquitto, InfluxDB and NATS Server; they only need the binaries.
# The dashboard's browser test drives Debian's Chromium through its ChromeDriver.
services:
	@command -v mosquitto >/dev/null && command -v influxd >/dev/null && \
	  command -v nats-server >/dev/null && command -v chromium >/dev/null && \
	  command -v chromedriver >/dev/null || { \
	  echo "Installing Mosquitto, InfluxDB, NATS Server and Chromium from Debian's packages"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    mosquitto influxdb nats-server chromium chromium-driver; }

bench: setup services
	for b in bench/*.py; do $(VENV)/bin/python $$b || exit 1; done

# The analytics evaluation, with the reference baseline implementation (its own dependency group).
eval: setup
	$(UV) sync --frozen --group opendsm
	$(VENV)/bin/python bench/analytics_eval.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
