# Quick start: `make demo` runs the whole system on embedded defaults;
# `make test` runs the test suite against real services.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
EXTRAS ?= edge,collector,dev
# NO_SETUP=1: use VENV as it is (the demo test reuses the main checkout's venv).
SETUP = $(if $(NO_SETUP),,setup)

.PHONY: setup test lint demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wire edge collector demo
	$(BIN)/lint-imports

test: setup
	bash tests/system-packages.sh
	$(MAKE) lint
	$(BIN)/pytest

# The demo's system packages (the MQTT broker, the report's font), installed as `make test` installs
# its own; not needed when MQTT_URL names a broker elsewhere.
demo: $(SETUP)
	$(if $(MQTT_URL),,bash tests/system-packages.sh --demo)
	$(BIN)/python -m demo

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
