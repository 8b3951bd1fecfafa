# The two commands of 행복-맵 (see README.md). Both set up whatever is missing first.
#   make run   local PostGIS + migrations + demo seed, then the app on http://127.0.0.1:8000/
#   make test  the whole test suite (it starts its own throwaway PostGIS)
# Extra pytest arguments: make test ARGS="tests/test_crs.py -x"

PYTHON := .venv/bin/python
ARGS ?=

.PHONY: run test constraints

run:
	bash scripts/setup.sh run
	$(PYTHON) -m app.dev.local run

test:
	bash scripts/setup.sh test
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest $(ARGS)

# Move constraints.txt to the newest releases pyproject.toml allows; run `make test` before committing it.
constraints:
	$(PYTHON) -m pip install -q --upgrade -e '.[dev]'
	{ head -3 constraints.txt; $(PYTHON) -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
