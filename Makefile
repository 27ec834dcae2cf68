# Two commands do all the set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck check clean fuzz-api

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/leadloop demo --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Schemathesis against the API's OpenAPI on a seeded demo database (about 3 minutes).
fuzz-api: $(STAMP)
	bash .ci/fuzz-api

typecheck: $(STAMP)
	$(BIN)/mypy leadloop config

check: lint typecheck test

clean:
	rm -rf $(VENV) *.egg-info
