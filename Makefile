# make demo — install, then run the worker once over the bundled example inbox and shared folder,
#             and end with what needs a person (`aftersales attention`)
# make test — install, then run every test
# make test-quick — the quick loop: every test not marked slow (no servers, OCR, LibreOffice, corpora)
# make lint — ruff (check and format), and the layers of pyproject.toml [tool.importlinter] (import-linter)
# make wording — learn the wording model (processor/data/wording_model.json) from the labelled corpus again
# make catalogs — regenerate the zh_Hant message catalog from zh_Hans (OpenCC + reviewed overrides)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := demo
SAMPLES ?= ../shared/samples

.PHONY: install system-packages demo test test-quick accuracy lint catalogs wording clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $(STAMP)

demo: install
	rm -rf $(DEMO)
	$(BIN)/aftersales --config $(DEMO)/aftersales.toml init
	cp examples/inbox/new/* $(DEMO)/inbox/new/
	cp examples/shared/incoming/* $(DEMO)/shared/incoming/
	cp examples/master/* $(DEMO)/master/
	touch -d '1 minute ago' $(DEMO)/shared/incoming/* $(DEMO)/master/*
	$(BIN)/aftersales --config $(DEMO)/aftersales.toml run --once
	$(BIN)/aftersales --config $(DEMO)/aftersales.toml cases
	@echo "Acknowledgements and notices written to $(DEMO)/outbox:"
	@ls $(DEMO)/outbox
	@echo "What needs a person:"
	$(BIN)/aftersales --config $(DEMO)/aftersales.toml attention

system-packages:
	tools/system-packages

test: install system-packages
	$(BIN)/pytest

test-quick: install
	$(BIN)/pytest -m "not slow"

accuracy: install
	$(BIN)/python tests/accuracy.py $(SAMPLES)

wording: install
	$(BIN)/python tools/train_wording.py

catalogs: install
	$(BIN)/python -m outputs.i18n

lint: install
	$(BIN)/ruff check processor parsers outputs vocabulary tests
	$(BIN)/lint-imports
	$(BIN)/ruff format --check processor parsers outputs vocabulary tests

clean:
	rm -rf $(VENV) $(DEMO) *.egg-info
