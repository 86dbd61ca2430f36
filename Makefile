# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000
TRANSLATIONS := platform/maillon/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test install lint typecheck translations extract bench-search bench-paths bench-organisations bench-load \
	bench-faults bench-opportunities bench-federation-inbox bench-federation-outage bench-federation-local \
	bench-federation-chains mutate clean

install: $(STAMP) $(MO)

# Exactly the versions CI tested (requirements.lock, hash-checked), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# Resolve requirements.lock again from pyproject.toml: make lock [LOCK_ARGS=--upgrade]
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --python-version 3.11 \
		--python-platform linux --generate-hashes -q -o requirements.lock $(LOCK_ARGS)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel -q compile -i $< -o $@

run: install
	PORT=$(PORT) $(VENV)/bin/maillon serve --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check platform search tests bench tools

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

# Reach of an organisation of 1,000 in 100k members, numpy against networkx (issue 12)
bench-organisations: install
	$(PY) bench/organisations/reach.py $(ARGS)

bench-opportunities: install
	$(PY) bench/opportunities/suggestions.py $(ARGS)

# Load benchmark (wrk) of `maillon serve` against bare Flask: make bench-load ARGS="--database postgres"
bench-load: install
	$(PY) bench/load/run.py $(ARGS)

# Fault drill under load (kill -9 workers, delete a search index): make bench-faults ARGS=...
bench-faults: install
	$(PY) bench/load/faults.py $(ARGS)

# Inbox throughput, verified activities per CPU-second beside signature verification alone
bench-federation-inbox: install
	$(PY) bench/federation/inbox.py $(ARGS)

# 1,000 deliveries queued while a peer is down: make bench-federation-outage ARGS="--outage-seconds 60"
bench-federation-outage: install
	$(PY) bench/federation/outage.py $(ARGS)

# A sister community's signed fetch in process against the same over loopback HTTP (decision 58)
bench-federation-local: install
	$(PY) bench/federation/local.py $(ARGS)

# A best chain across two servers of 100k members each beside one that stays on one server
# (issue 13: p95 <= 150 ms): make bench-federation-chains ARGS="--members 20000"
bench-federation-chains: install
	$(PY) bench/federation/chains.py $(ARGS)

# Mutation check (tools/mutate.py): make mutate ARGS="--list" | ARGS="--only bm25"
mutate: install
	$(PY) tools/mutate.py $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
