# xinfang: `make run` serves a demo county on http://127.0.0.1:8000 (web pages and API), `make test` runs the tests.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export XINFANG_HOME ?= ./var

.PHONY: run test lint install system-packages

# The virtualenv is created once; dependencies are reinstalled only when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@out=$$($(BIN)/xinfang init); echo "$$out"; admin=$$(tail -n 1 <<< "$$out"); \
	echo; \
	out=$$($(BIN)/xinfang demo); echo "$$out"; \
	clerk=$$(awk '$$1 == "clerk" { print $$NF }' <<< "$$out"); \
	echo; \
	echo "Sign in at http://$(HOST):$(PORT)/ (the web pages) with a token printed above, e.g. the clerk's: $${clerk:-$$admin}"; \
	echo "API:  http://$(HOST):$(PORT)/api/v1    docs: http://$(HOST):$(PORT)/api/docs"; \
	echo "Sign in with a token printed above (Authorization: Bearer <token>), e.g. as the clerk:"; \
	echo "  curl -H 'Authorization: Bearer $${clerk:-$$admin}' http://$(HOST):$(PORT)/api/v1/me"; \
	echo "  curl -H 'Authorization: Bearer $${clerk:-$$admin}' 'http://$(HOST):$(PORT)/api/v1/ledger?page_size=5'"; \
	echo "Administrator (units, users): $$admin"; \
	echo "A case's audit trail: XINFANG_HOME=$(XINFANG_HOME) $(BIN)/xinfang history XF-$$(date +%Y)-000001"; \
	echo; \
	exec $(BIN)/xinfang serve --host $(HOST) --port $(PORT)

test: $(STAMP) system-packages
	$(BIN)/pytest

# Debian packages the tests need: poppler-utils and LibreOffice (the document tests render PDFs
# and print the ledger), Chromium and CJK fonts (the web pages' browser tests). Installed here
# when we may (root with apt-get); otherwise those tests skip and say how to install them (with
# CI=true they fail).
SYSTEM_PACKAGES := poppler-utils libreoffice-calc-nogui chromium fonts-noto-cjk
system-packages:
	@command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && \
	command -v soffice >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(SYSTEM_PACKAGES); \
	  else echo "Some test tools are missing: their tests will skip" \
	    "(apt-get install -y $(SYSTEM_PACKAGES))"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
