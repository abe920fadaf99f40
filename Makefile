# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

## Start the server on the embedded defaults: SQLite and local disk under ./data.
run: $(VENV)/.run-installed
	$(BIN)/weighthouse serve --host $(HOST) --port $(PORT)

## Lint, type-check, check the layers, then run the whole test suite.
test: $(VENV)/.test-installed lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(VENV)/.test-installed
	$(BIN)/python bench/transfer.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
