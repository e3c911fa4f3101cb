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
	echo "网页：打开 http://$(HOST):$(PORT)/ ，用上面打印的任一令牌登录，例如登记员的：$${clerk:-$$admin}"; \
	echo "接口：http://$(HOST):$(PORT)/api/v1    文档：http://$(HOST):$(PORT)/api/docs"; \
	echo "调用接口时带上上面打印的令牌（Authorization: Bearer <令牌>），例如以登记员身份："; \
	echo "  curl -H 'Authorization: Bearer $${clerk:-$$admin}' http://$(HOST):$(PORT)/api/v1/me"; \
	echo "  curl -H 'Authorization: Bearer $${clerk:-$$admin}' 'http://$(HOST):$(PORT)/api/v1/ledger?page_size=5'"; \
	echo "管理员令牌（添加单位、用户）：$$admin"; \
	echo "查看一件事项的审计记录：XINFANG_HOME=$(XINFANG_HOME) $(BIN)/xinfang history XF-$$(date +%Y)-000001"; \
	echo; \
	exec $(BIN)/xinfang serve --host $(HOST) --port $(PORT)

# One test process per core (pytest-xdist); `$(BIN)/pytest` alone runs them in one.
test: $(STAMP) system-packages
	$(BIN)/pytest -n auto

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
