# Two commands on a fresh machine: `make run` and `make test` (see README.md).
# The first interpreter on PATH that is Python 3.11 or newer.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: install system-packages run test test-e2e lint format typecheck migrations-check reset-local-db worker beat

install: $(VENV)/.installed static/vendor/.installed system-packages

# Optional system packages, installed when this machine lets us (root with apt, or passwordless sudo):
# LibreOffice renders office files into the merged volume PDFs, and TrueType CJK fonts draw the
# package covers. Without them the portal still works: office files are "原件附后" and covers fall
# back to a built-in font. Set SKIP_SYSTEM_PACKAGES=1 to never try.
SYSTEM_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui fonts-arphic-uming fonts-wqy-zenhei
system-packages:
	@if [ -z "$(SKIP_SYSTEM_PACKAGES)" ] && command -v apt-get >/dev/null && \
	  { ! command -v soffice >/dev/null || ! test -f /usr/share/fonts/truetype/arphic/uming.ttc; }; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo "sudo -n" ); \
	  echo "安装可选系统组件（LibreOffice、中文字体）…"; \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; } \
	    || echo "未能安装可选系统组件：办公文档将以原件附后，封面使用内置字体。"; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11 或更高版本 (Python 3.11+ required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Front-end assets come from the npm registry (pinned by package-lock.json) and are served by Django.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/htmx static/vendor/echarts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/
	touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

test: install
	$(BIN)/pytest

test-e2e: install
	$(BIN)/pytest -m e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

reset-local-db:
	rm -f var/db.sqlite3
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

worker: install
	$(BIN)/celery -A luhsan_portal worker --loglevel=info

beat: install
	$(BIN)/celery -A luhsan_portal beat --loglevel=info
