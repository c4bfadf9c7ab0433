# The two commands: `make run` (API, Celery worker and beat, with demo data) and `make test` (lint, type
# check and the whole suite). Both need only Python 3.11+; PostgreSQL and Redis are found or embedded by
# platform/localenv.py (see README.md, "Set-up").

SHELL := /bin/bash
VENV ?= .venv
# Same effect as activating the virtualenv, for every command below and the processes they start.
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(VIRTUAL_ENV)/bin:$(PATH)
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
LOCALENV := $(PYTHON) platform/localenv.py

.PHONY: install run test bench openapi-lint

# Each app's translations (<app>/locale/zh_Hans/LC_MESSAGES/django.po), compiled to .mo files that are not
# kept in git: by Python alone (polib), as GNU gettext's msgfmt, which Django's compilemessages needs, is
# not on every machine. Recompiled whenever a catalogue changes (the stamp is the checkout's, not the
# virtualenv's, which several checkouts may share).
CATALOGUES := $(wildcard */locale/*/LC_MESSAGES/django.po)
COMPILED := .translations-compiled

install: $(INSTALLED) $(COMPILED)

# The interpreter the virtualenv is made from: the first python3.11 or python3 on PATH unless given. The
# production image's CPython (python:3.11-slim) is built with PGO and LTO; a build without them (pyenv's
# default) runs this code about 1.6 times slower, so benchmark on an optimized one, e.g.
# `make bench VENV=.venv-bench PYTHON_BASE=/usr/bin/python3.11` (see README.md, "Benchmarks").
PYTHON_BASE ?=

$(PYTHON):
	@base=$(or $(PYTHON_BASE),$$(command -v python3.11 || command -v python3)) || { echo "Python 3.11+ is required." >&2; exit 1; }; \
	"$$base" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11+ is required, found $$("$$base" --version)." >&2; exit 1; }; \
	echo "Creating $(VENV) with $$("$$base" --version)"; \
	"$$base" -m venv $(VENV)

# Reinstalled only when the pins in pyproject.toml change.
$(INSTALLED): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check --quiet ".[dev]"
	@# Packages whose declared dependencies must not be installed (pyproject.toml, [tool.social-insurance]).
	$(PYTHON) -m pip install --disable-pip-version-check --quiet --no-deps $$($(PYTHON) -c \
		'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["tool"]["social-insurance"]["install-without-dependencies"])')
	@# What setuptools leaves behind when building the (code-less) project.
	@rm -rf build social_insurance_platform.egg-info
	@touch $@

$(COMPILED): $(CATALOGUES) $(INSTALLED)
	$(PYTHON) manage.py compile_translations
	@touch $@

run: install
	$(LOCALENV) platform/run-local

test: install openapi-lint
	ruff check .
	ruff format --check .
	@# Reads the settings to learn the models, and connects to nothing: no database needed yet.
	mypy
	$(LOCALENV) bash -c 'python manage.py makemigrations --check --dry-run && python -m pytest -n auto'

# The OpenAPI description passes Redocly CLI's recommended rules with no error. Its version is pinned in
# platform/openapi-lint/package.json (and its lock file), installed from the npm registry into that folder
# once (node and npm are needed), again only when the pin changes.
OPENAPI_LINT := platform/openapi-lint
REDOCLY := $(OPENAPI_LINT)/node_modules/.bin/redocly
$(REDOCLY): $(OPENAPI_LINT)/package.json $(OPENAPI_LINT)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (with node 20+) is required to lint the OpenAPI description." >&2; exit 1; }
	npm ci --prefix $(OPENAPI_LINT) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

openapi-lint: $(INSTALLED) $(REDOCLY)
	@mkdir -p .data
	@# Builds the description from the code: reads the settings, connects to nothing.
	$(PYTHON) manage.py spectacular --validate --fail-on-warn --file .data/openapi.yaml
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY) lint .data/openapi.yaml --format stylish

# Benchmarks print their figures; they are not tests (see README.md, "Benchmarks"). The API benchmark
# needs wrk (Debian package `wrk`).
bench: install
	$(LOCALENV) bash -c 'python bench/api_bench.py && python bench/import_bench.py && python bench/ecard_bench.py && python bench/transfer_bench.py && python bench/certification_bench.py && python bench/face_bench.py'
