# The two commands of the README: `make demo` and `make test`. Each sets the machine up first
# (Java 17 if missing, .venv with every dependency group), so a fresh clone needs nothing else.
PY := .venv/bin/python

.PHONY: setup demo test bench clean

setup:
	@scripts/setup.sh

demo: setup
	@$(PY) scripts/demo.py

test: setup
	java/mvnw --quiet --file java/pom.xml test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

bench: setup
	$(PY) -m bench.datagen
	$(PY) -m bench.geocoder
	$(PY) -m bench.job
	$(PY) -m bench.geocoded_job
	$(PY) -m bench.opensearch
	$(PY) -m bench.kinesis
	$(PY) -m bench.validation

clean:
	rm -rf .demo .bench
