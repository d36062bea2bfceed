# Parvis: `make run` serves the app with demo data, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Development defaults; production sets DEBUG=0 with a real SECRET_KEY (README).
export DEBUG ?= 1

.PHONY: run install vendor migrate seed test lint format schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed vendor

# GraphiQL's scripts and styles, served by the app itself so that it works offline.
vendor: $(VENV)/.installed
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund --prefix graphiql && \
		$(BIN)/python manage.py vendor_graphiql; \
	else \
		echo "npm not found: GraphiQL will load its scripts from a CDN (needs internet)."; \
	fi

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: install seed
	@echo "Parvis on http://$(HOST):$(PORT)/graphql/ (GraphiQL in a browser)"
	$(BIN)/daphne -b $(HOST) -p $(PORT) project.asgi:application

test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every scenario against its floor, on a throwaway database (docs/PERFORMANCE.md);
# DATABASE_URL and REDIS_URL set: PostgreSQL (a database named for the bench) and Redis.
bench: $(VENV)/.installed
	DEBUG=0 $(BIN)/python -m bench $(BENCH_ARGS)

schema: $(VENV)/.installed
	$(BIN)/python manage.py export_schema graphql_schema.schema:schema --path schema.graphql

clean:
	rm -rf $(VENV) graphiql/node_modules var
