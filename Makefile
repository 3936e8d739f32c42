# blackjanuary — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test install build validate stats serve lint format soak bench conformance system-deps js-deps clean

# Three layers of one venv: `make run` needs only the runtime; `make test` and `make bench` add extras.
RUNTIME := $(VENV)/.runtime
TESTING := $(VENV)/.testing
BENCH   := $(VENV)/.bench

$(RUNTIME): pyproject.toml constraints.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUNTIME)

$(TESTING): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(TESTING)

$(BENCH): $(TESTING)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench,peers]'
	touch $(BENCH)

STAMP := $(TESTING)

install: $(TESTING)

# Debian's chromium drives the browser tests, Node.js runs the tests' JavaScript (axe-core, Comunica);
# Debian's Virtuoso is the second remote engine the tests run on (docs/backends.md); Debian's nginx
# fronts the reference deployment (docs/deploy.md). Each is installed only where it is missing.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's nodejs and npm for the JavaScript the tests run"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  echo "installing Debian's virtuoso-opensource for the remote-engine tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; }
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || { \
	  echo "installing Debian's nginx for the deployment tests (deploy/nginx.conf)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

# The tests' JavaScript, pinned by tests/js/package-lock.json: axe-core (injected by the browser tests)
# and Comunica (the Triple Pattern Fragments client of tests/live/test_fragments_comunica.py).
tests/js/node_modules/.package-lock.json: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

js-deps: system-deps tests/js/node_modules/.package-lock.json


build: $(RUNTIME)
	$(BIN)/blackjanuary build

validate: $(RUNTIME)
	$(BIN)/blackjanuary validate

stats: $(RUNTIME)
	$(BIN)/blackjanuary stats

run: build
	$(BIN)/blackjanuary stats
	$(BIN)/blackjanuary serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/ruff format --check src tests bench setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: $(TESTING) system-deps js-deps
	$(BIN)/ruff check src tests bench setup.py
	$(BIN)/ruff format --check src tests bench setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -m "not slow" --durations=20

# The W3C suites (tests/conformance/): run them all and write docs/conformance.md from the results.
conformance: $(STAMP)
	cd tests && ../$(BIN)/python -m conformance.report --out ../docs/conformance.md

soak: $(STAMP) system-deps js-deps
	$(BIN)/python -m pytest -m slow

# The peers (rdflib-endpoint under uvicorn) are measured side by side; they are installed only here.
# BENCH_REF: the code this tree is compared with, cache off (issue 12: the last commit before the re-cut).
BENCH_REF ?= 3b3a433
# wrk (Debian's package) sends the benches' load from C, leaving the cores to the servers measured.
bench: $(BENCH) system-deps
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmarks' load"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m bench.run --write
	$(BIN)/python -m bench.pages --write
	$(BIN)/python -m bench.compare_ref --against $(BENCH_REF) --write
	$(BIN)/python -m bench.scale --sizes 10k,100k,1M
	$(BIN)/python -m bench.dumps_bench --sizes 1M
	$(BIN)/python -m bench.tpf_bench --size 1M
	$(BIN)/python -m bench.virtuoso --size 1M

clean:
	rm -rf dist .pytest_cache build *.egg-info
