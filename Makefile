# Two commands: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.
# Both create .venv and install what they need on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test lint format migrate clean cluster bench bench-layers chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input

# daphne, with the same transport limits as `make serve`; no configuration needed.
run: migrate
	$(BIN)/python -m gameserver.serve --server daphne --host $(HOST) --port $(PORT)

# The production server, one process: uvicorn (httptools, uvloop) with the transport
# limits; HOST and PORT from the environment (docs/deploy.md, docs/performance.md).
serve: migrate
	$(BIN)/python -m gameserver.serve --host $(HOST) --port $(PORT)

# The browser client's MessagePack library (needs npm; `make run` works without it).
client_demo/node_modules/.package-lock.json: client_demo/package.json client_demo/package-lock.json
	if command -v npm >/dev/null; then cd client_demo && npm ci --no-audit --no-fund; \
	else echo "npm not found: the browser tests run on JSON only"; fi

test: $(VENV)/.installed client_demo/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 var test-artifacts

# Every workload against daphne and uvicorn, then on the Colyseus peer (bench/colyseus/,
# needs node and npm; BENCH_ARGS=--no-peer skips it), server and load tester pinned to
# their own cores; writes docs/performance.md (about 15 minutes; BENCH_ARGS=--quick for a
# smoke run).
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# RedisPubSubChannelLayer against RedisChannelLayer, across two processes (docs/deploy.md).
bench-layers: $(VENV)/.installed
	$(BIN)/python bench/layers.py

# Three server processes behind nginx, on Redis and PostgreSQL (docs/deploy.md).
cluster: $(VENV)/.installed
	deploy/cluster.sh

# kill -9 of a server process every 30 s under W1 and W2, then the database against what
# the clients saw (about 5 minutes; needs PostgreSQL and Redis; docs/deploy.md).
CHAOS_ARGS ?=
chaos: $(VENV)/.installed
	$(BIN)/python deploy/chaos.py $(CHAOS_ARGS)
