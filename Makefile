# The single entry point. README names two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST_ARGS ?=
# Every process started by make (services, migrations, tests) gets the local stack's addresses and
# local-only credentials from this one file; real deployments set the same names in their environment.
STACK_ENV := set -a; source deploy/local/stack.env; set +a;

.PHONY: help install infra-up infra-down infra-status migrate run seed stop test test-unit lint format contracts bench clean-stack

help:
	@echo "make run     - start the local stack, migrate, start every service behind the gateway, seed a demo store"
	@echo "make test    - stack up if needed, lint, unit + integration + e2e tests"
	@echo "make seed [N=1000] | lint | format | contracts | bench | stop | infra-up | infra-down | infra-status"

# uv comes from PyPI; everything else from the lock file.
install:
	@bash deploy/local/bootstrap.sh

infra-up: install
	@bash deploy/local/infra.sh up

infra-down:
	@bash deploy/local/infra.sh down

infra-status:
	@bash deploy/local/infra.sh status

migrate: infra-up
	@$(STACK_ENV) $(PY) -m shop_runtime.migrate_all

run: migrate
	@bash deploy/local/services.sh up
	@$(STACK_ENV) $(PY) deploy/local/demo_seed.py

seed: run
	@$(STACK_ENV) $(PY) deploy/local/demo_seed.py --large $(or $(N),1000)

stop:
	@bash deploy/local/services.sh down

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy libs/contracts/src libs/runtime/src
	$(PY) -m mypy $(foreach s,$(wildcard services/*/src/*),$(s))
	.venv/bin/lint-imports --no-logo
	$(PY) -m shop_contracts.schemas check
	$(PY) -m shop_contracts.asyncapi check

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

contracts: install
	$(PY) -m shop_contracts.schemas generate
	$(PY) -m shop_contracts.asyncapi generate

test-unit: install
	$(STACK_ENV) $(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

test: infra-up lint
	$(STACK_ENV) $(PY) -m pytest $(PYTEST_ARGS)

bench: migrate
	$(STACK_ENV) $(PY) -m bench

clean-stack: infra-down
	rm -rf .stack
