# Everything a fresh Debian machine with Python 3.11 needs; each step is skipped when already done.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install toolchain system index run test test-fast bench eval clean-venv

# A bare Debian lacks the venv module and a C/C++ compiler (llama-cpp-python builds from source).
toolchain:
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null && command -v c++ >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv build-essential; }

$(BIN)/python: | toolchain
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: its CPU wheel; letting another package pull torch fetches GBs of CUDA libraries.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Chromium drives the browser tests of the app (Playwright cannot download browsers here).
system:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

index: install
	$(BIN)/coach index

run: install index
	$(BIN)/python app.py

test: install system index
	$(BIN)/python -m pytest

# Logic only: the package's test doubles and a real Chroma store, no models, servers or browser.
test-fast: install
	$(BIN)/python -m pytest -m "not slow"

bench: install index
	$(BIN)/python -m bench

eval: install index
	$(BIN)/coach eval

clean-venv:
	rm -rf $(VENV)
