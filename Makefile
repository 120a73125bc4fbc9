# Model Notes. The two set-up commands are `make serve` and `make test`; both create .venv
# and install requirements*.txt into it when missing or changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

LIGHTHOUSE := tools/lighthouse/node_modules/.installed

.PHONY: install serve build test lint bench bench-shards jobs lighthouse notebooks clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

## install: create .venv and install requirements*.txt into it (the other targets do it when needed)
install: $(STAMP)

## serve: build and serve on http://127.0.0.1:8000, rebuilding when docs/ or snippets/ change
serve: $(STAMP)
	$(BIN)/mkdocs serve --livereload --dev-addr 127.0.0.1:8000

## build: strict build of the whole site into site/
build: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

# Lighthouse (npm, pinned in tools/lighthouse/package-lock.json) for `make lighthouse` and its test
$(LIGHTHOUSE): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse --no-audit --no-fund --loglevel=error
	@touch $@

## test: lint, then the whole test suite (unit, site build, browser, Lighthouse)
test: $(STAMP) $(LIGHTHOUSE) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check snippets tests
	$(BIN)/ruff format --check snippets --exclude snippets/build  # the code readers see (snippets/ruff.toml)

## bench: cold, warm, prose-edit and module-edit builds of a scratch copy: seconds, ratios, peak memory
bench: $(STAMP)
	$(BIN)/python -m snippets.build.bench

## bench-shards: a sharded cold build with processes for runners (N = 1, 2, 4): each shard's time, the merge's
bench-shards: $(STAMP)
	$(BIN)/python -m snippets.build.shard_bench

## lighthouse: the four Lighthouse scores of every page type, both languages (run `make build` first)
lighthouse: $(STAMP) $(LIGHTHOUSE)
	$(BIN)/python tools/lighthouse/scores.py site

## notebooks: run every downloadable notebook of site/ alone in an empty folder, one thread, timed (run `make build` first)
notebooks: $(STAMP)
	$(BIN)/python -m snippets.build notebooks site

## jobs: list the build jobs: article, cached or stale, key, module:line
jobs: $(STAMP)
	$(BIN)/python -m snippets.build list

clean:
	rm -rf site .cache
