# Two commands matter (see README.md):
#   make run   — set everything up on a fresh machine and run the whole hotline
#   make test  — set everything up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test setup debs venv asterisk-root prompts lint bench down

run: setup
	./scripts/ensure-redis.sh
	$(BIN)/hotline up

test: setup
	./scripts/ensure-redis.sh
	./scripts/ensure-postgres.sh
	$(BIN)/pytest

setup: debs venv asterisk-root

debs:
	./scripts/install-debian-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

asterisk-root: venv
	$(BIN)/hotline asterisk provision

down:
	$(BIN)/hotline down

lint: venv
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/bench_agi.py
