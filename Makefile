# Two commands on a fresh machine: `make reports` and `make test`.
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: reports test lab bench clean env

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	touch $(STAMP)

env: $(STAMP)

reports: $(STAMP)
	$(BIN)/genai-edge report --all --out reports --jobs $(JOBS)

test: $(STAMP)
	$(BIN)/ruff check .
	bash tools/install_chromium.sh
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -p no:cacheprovider tests --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg genai_edge/notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab genai_edge/notebooks

bench: $(STAMP)
	$(BIN)/python tools/bench.py

clean:
	rm -rf $(VENV) build *.egg-info
