# GAN Art Studio. Every target bootstraps .venv itself, so a fresh clone needs only Python 3.10+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench models lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

# Pretrained style-transfer features arrive with the Stylize page; nothing to fetch for training yet.
models: $(STAMP)
	@echo "No pretrained models are needed by this version."

test: $(STAMP) models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	@for f in tests/bench/bench_*.py; do echo "== $$f"; QT_QPA_PLATFORM=offscreen $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(PY) -m ruff check studio tests main.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
