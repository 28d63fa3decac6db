# The README's two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-fast bench fuzz clean i18n-extract i18n-update i18n-compile

# System libraries (scripts/install-system-deps.sh), then a virtualenv with the package
# and its test extras. Redone when pyproject.toml changes.
$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/handoutgen check
	$(BIN)/handoutgen build --out out
	$(BIN)/handoutgen build --out out --large-print
	$(BIN)/handoutgen build --out out --bilingual en

test: setup
	$(BIN)/ruff check src tests bench docs
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# A longer, random fuzzing campaign than CI's (tests/test_fuzz.py); raise the number for more.
FUZZ_EXAMPLES ?= 3000
fuzz: setup
	HANDOUTGEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -p no:cacheprovider

bench: setup
	$(BIN)/python bench/render.py
	$(BIN)/python bench/packets.py 1000
	$(BIN)/python bench/incremental.py

clean:
	rm -rf out .pytest_cache

# Interface strings (README: "Interface strings"). Extract after editing templates, then
# update every catalog; translators fill the new msgstr entries.
LOCALE := src/handoutgen/i18n/locale
i18n-extract: setup
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALE)/handoutgen.pot --project handoutgen \
		--no-location --sort-output --omit-header .

i18n-update: setup
	$(BIN)/pybabel update -D handoutgen -i $(LOCALE)/handoutgen.pot -d $(LOCALE) --no-fuzzy-matching

# handoutgen compiles each PO with Babel when it first needs it; this writes the .mo files
# (git-ignored) for other gettext tools and reports how complete each catalog is.
i18n-compile: setup
	$(BIN)/pybabel compile -D handoutgen -d $(LOCALE) --statistics
