# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint data bench clean assets browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so nothing later can pull a CUDA build.
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

data: $(STAMP)
	$(VENV)/bin/sefreq data fetch

# 3Dmol.js for the offline 3D viewer: not committed; fetched once with the ordinary npm
# client (from its configured registry), checked against a pinned sha256, and placed in
# assets/vendor/, which Streamlit serves as /app/static/vendor/ (static -> assets).
THREEDMOL_VERSION := 2.5.5
THREEDMOL_SHA256 := f7cc78921ae72e7623e89cdd111434f58c2efddd2ffda1cd212644b406fb8016
THREEDMOL_JS := assets/vendor/3Dmol-min.js

assets: $(THREEDMOL_JS)

$(THREEDMOL_JS):
	@if ! command -v npm >/dev/null; then \
		echo "npm not found: the 3D viewer stays off until $@ exists (install npm, rerun make)"; \
		exit 0; \
	fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent "3dmol@$(THREEDMOL_VERSION)" >/dev/null) && \
	tar -xzf "$$tmp/3dmol-$(THREEDMOL_VERSION).tgz" -C "$$tmp" package/build/3Dmol-min.js package/LICENSE && \
	echo "$(THREEDMOL_SHA256)  $$tmp/package/build/3Dmol-min.js" | sha256sum --check --quiet - && \
	mkdir -p $(@D) && cp "$$tmp/package/LICENSE" $(@D)/3Dmol-LICENSE.txt && \
	cp "$$tmp/package/build/3Dmol-min.js" $@ && echo "3Dmol.js $(THREEDMOL_VERSION) verified -> $@"

# The browser suite drives Debian's chromium; PDF checks use poppler-utils. CI runs as root.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium poppler-utils; \
		else \
			echo "chromium/poppler-utils missing and not root: browser and PDF tests will skip"; \
		fi; \
	fi

run: data assets
	$(VENV)/bin/streamlit run app.py

test: $(STAMP) assets browser-deps
	$(PY) -m pytest

# The library's unit tests without process pools, Dask or the upstream files (under a
# minute): the loop while working. `make test` runs everything, as CI does. Both run on one
# core: pytest-xdist on two cores was slower here (each worker builds the session's tiny
# model and world again, and a module's dataset build runs in both workers).
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit -m "not slow and not realdata"

# ruff (lint + format) and the one-way layers contract in pyproject.toml (import-linter).
lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

bench: $(STAMP)
	$(VENV)/bin/sefreq bench --all

clean:
	rm -rf $(VENV)
