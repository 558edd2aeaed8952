# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench soak clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/ayrdw-watch run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) build *.egg-info

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Benchmarks (never part of `make test`): prints a table, writes bench/results.json.
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(if $(filter quick,$(BENCH)),--quick) $(BENCH_ARGS)

# The service under kill -9, receivers going down and a second writer, 3-10 minutes; one
# summary line, exit 1 on any loss. `make soak SEED=N` replays a run.
SEED ?=
soak: $(TEST_STAMP)
	$(BIN)/python tests/soak.py $(if $(SEED),--seed $(SEED))
