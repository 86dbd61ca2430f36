# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000
TRANSLATIONS := platform/maillon/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test install lint typecheck translations extract bench-search bench-paths clean

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel -q compile -i $< -o $@

run: install
	PORT=$(PORT) $(VENV)/bin/maillon serve --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check platform search tests bench

typecheck: install
	$(VENV)/bin/mypy platform/maillon search

# Refresh the message catalogues from the code and templates (then translate the .po files).
extract: install
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

bench-search: install
	$(PY) bench/search/run.py

bench-paths: install
	$(PY) bench/paths/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
