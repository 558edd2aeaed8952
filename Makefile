# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint lock bench soak clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Dependencies come from the lock files, every file checked against its hash; then the project
# itself, editable, without dependencies and with the build backend the lock pinned. setuptools
# prints an "Editable installation" notice for every editable install: that one is silenced.
INSTALL_SELF := PYTHONWARNINGS="ignore:Editable installation:UserWarning" \
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .

$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(INSTALL_SELF)
	touch $@

$(TEST_STAMP): pyproject.toml requirements-test.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	$(INSTALL_SELF)
	touch $@

# Refresh the lock files from pyproject.toml's ranges (pip-tools, in a venv of its own): run it
# after changing a dependency, or to take upstream releases; commit the result.
LOCK_VENV := $(VENV)-lock
COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps \
	--strip-extras --no-emit-index-url --no-emit-find-links
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PY) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet pip-tools; }
	$(COMPILE) --upgrade --extra apprise -o requirements.lock pyproject.toml
	$(COMPILE) --upgrade --extra apprise --extra test -o requirements-test.lock pyproject.toml

run: $(STAMP)
	$(BIN)/ayrdw-watch run

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(TEST_STAMP)
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" $(BIN)/pip install --quiet -e '.[bench]'
	touch $@

# Benchmarks (never part of `make test`): prints a table, writes bench/results.json.
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(if $(filter quick,$(BENCH)),--quick) $(BENCH_ARGS)

# The service under kill -9, receivers going down and a second writer, 3-10 minutes; one
# summary line, exit 1 on any loss. `make soak SEED=N` replays a run.
SEED ?=
soak: $(TEST_STAMP)
	$(BIN)/python tests/soak.py $(if $(SEED),--seed $(SEED))
