# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Byte-compiled ahead: where PYTHONDONTWRITEBYTECODE is set, every statbot process (and every test worker)
# would otherwise compile these packages from source, about half a second of each start.
COMPILE := $(BIN)/python -m compileall -q bot commands storage intake digests ingest tests

run: $(STAMP)
	@$(COMPILE) >/dev/null
	$(BIN)/statbot init
	$(BIN)/statbot run

# The suite on one worker per CPU (pytest-xdist), each file on one worker so its module fixtures and the
# embedding model's memo are shared by its tests. TEST_WORKERS=0 runs it in this process; PYTEST_ARGS='-m "not slow"'
# skips the tests that start statbot processes or write hundreds of rows.
TEST_WORKERS ?= auto
test: $(STAMP)
	./scripts/ensure-postgres
	@$(COMPILE) >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bot commands storage intake digests ingest

# statbot against a bare Bolt app (bench/RESULTS.md); BENCH_ARGS=--quick for a one-minute version.
bench: $(STAMP)
	./scripts/ensure-postgres
	$(BIN)/python bench/vs_bolt.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) statbot.db statbot.db-*
