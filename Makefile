# blackjanuary — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test install build validate stats serve lint format soak bench system-deps js-deps clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium drives the browser tests; installed only where it is missing.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core (npm) for the browser tests' accessibility checks, from tests/js/package-lock.json.
js-deps:
	@test -f tests/js/node_modules/axe-core/axe.min.js || { \
	  command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }; \
	  npm ci --prefix tests/js --no-audit --no-fund --silent; }

build: $(STAMP)
	$(BIN)/blackjanuary build

validate: $(STAMP)
	$(BIN)/blackjanuary validate

stats: $(STAMP)
	$(BIN)/blackjanuary stats

run: build
	$(BIN)/blackjanuary stats
	$(BIN)/blackjanuary serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: $(STAMP) system-deps js-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/python -m pytest -n 2 -m "not slow"

soak: $(STAMP) system-deps js-deps
	$(BIN)/python -m pytest -m slow

# The peers (rdflib-endpoint under uvicorn) are measured side by side; they are installed only here.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench,peers]'
	$(BIN)/python -m bench.run --write
	$(BIN)/python -m bench.pages --write
	$(BIN)/python -m bench.scale --sizes 10k,100k,1M

clean:
	rm -rf dist .pytest_cache build *.egg-info
