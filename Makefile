# Quick start: `make demo` and `make test`. Each creates .venv (Python 3.11+) if missing and
# installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Label Studio server lives in its own venv: it pins pytz<2023, which dateparser cannot use.
LS_VENV := .venv-ls
LS_STAMP := $(LS_VENV)/.installed
LABEL_STUDIO_VERSION := 1.23.2

.PHONY: demo test install generate clean annotate stop chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	touch $(STAMP)

$(LS_STAMP):
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet 'label-studio==$(LABEL_STUDIO_VERSION)'
	touch $(LS_STAMP)

install: $(STAMP)

demo: $(STAMP) $(LS_STAMP)
	$(BIN)/python scripts/demo.py

# Debian's Chromium for the real-browser tests (never a downloaded browser build); installed with
# apt-get when missing, which needs root, as on CI.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs Debian's chromium: run 'sudo apt-get install chromium' once" >&2; exit 1; \
	  fi; }

test: $(STAMP) $(LS_STAMP) chromium
	$(BIN)/python -m pytest

# Label Studio on 127.0.0.1 with the corpus pushed, ready to label; `make stop` ends it.
annotate: $(STAMP) $(LS_STAMP)
	$(BIN)/communique ls serve
	$(BIN)/communique ls push corpus/documents

stop: $(STAMP)
	$(BIN)/communique ls stop

generate: $(STAMP)
	$(BIN)/communique schema generate

clean:
	rm -rf $(VENV) $(LS_VENV) build *.egg-info .pytest_cache
