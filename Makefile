# From Tensors to MNIST — the two commands that matter:
#   make book   set up .venv and build the HTML book into _build/html (offline)
#   make test   set up .venv and run every check (lint, unit tests, every notebook once,
#               the book built from those outputs with warnings as errors, site tests)
# Both are idempotent: a second run with nothing changed does (almost) nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := _mathjax/mathjax/tex-mml-chtml.js
BOOK_SOURCES := $(wildcard chapters/*.ipynb chapters/*.md chapters/images/* _static/* _ext/*.py) \
                _config.yml _toc.yml references.bib $(wildcard helpers/*.py helpers/checks/*.py)
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0
# Claims of the text must hold in the course's own runs (helpers.claims); learners get notices.
export COURSE_STRICT_CLAIMS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test slow claims unit lint student assignments bench compat repo clean clean-notebooks lock browser-deps

help:
	@echo "make book     build the book into _build/html (sets up .venv first)"
	@echo "make test     every check: lint, unit tests, notebooks, book build (-W), site tests"
	@echo "make slow     the slower checks CI runs after make test: the chapters re-run on other seeds and splits"
	@echo "make student  student notebooks (solutions removed) into _build/student"
	@echo "make assignments  Otter-Grader assignments (student notebook + autograder zip) into _build/assignments"
	@echo "make bench    benchmarks/mnist_loop.py: fit vs hand-written loops (eager, tf.function, XLA) against the matmul rate"
	@echo "make compat TF=2.19   run every notebook against another TensorFlow"
	@echo "make repo URL=https://github.com/you/fork   the one repository setting"

# ---------------------------------------------------------------- environment
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(MATHJAX):
	@mkdir -p _build/cache
	cd _build/cache && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	rm -rf _mathjax && mkdir -p _mathjax/mathjax
	tar -xzf _build/cache/mathjax-$(MATHJAX_VERSION).tgz -C _mathjax/mathjax --strip-components=2 \
	    package/es5/tex-mml-chtml.js package/es5/output/chtml package/es5/input/tex/extensions \
	    package/es5/ui package/es5/a11y package/es5/adaptors
	@test -f $@

setup: $(STAMP) $(MATHJAX)

# Headless Chromium for the site tests (Debian's package; Playwright's own download is not used).
browser-deps:
	@command -v chromium >/dev/null || command -v google-chrome >/dev/null || { \
	    echo "installing Debian's chromium for the site tests"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        chromium fonts-noto-color-emoji >/dev/null; }

# ---------------------------------------------------------------- the book
# One pipeline for `make book` and `make test`: each notebook executed once, offline and with
# the text's claims strict, then the book built from those outputs with warnings as errors.
_build/html/index.html: $(STAMP) $(MATHJAX) $(BOOK_SOURCES)
	$(PY) scripts/run_checks.py --only notebooks book
	@touch $@

book: _build/html/index.html
	@echo "The book is in $(CURDIR)/_build/html/index.html"

# Otter-Grader assignments from the chapters' exercises and their declared checks.
assignments: setup
	$(PY) scripts/make_assignments.py

# ---------------------------------------------------------------- checks
test: setup browser-deps
	$(PY) scripts/run_checks.py

# The checks that do not fit make test's 8 minutes (budget 15 minutes): every MNIST chapter
# executed again as a learner who changes the seed, and on another split of the digits.
slow: setup
	$(PY) scripts/run_variants.py
	$(PY) -m pytest -q -p no:cacheprovider -n 2 -m slow tests/test_assignments.py

claims: slow

unit: setup
	$(PY) -m pytest -q -m "not slow and not browser"

lint: setup
	$(VENV)/bin/ruff check helpers tests benchmarks scripts chapters

student: setup
	$(PY) scripts/make_student.py

bench: setup
	$(PY) benchmarks/mnist_loop.py
	$(PY) benchmarks/convnet.py

# make compat [PYTHON=python3.13] TF=2.20.0 [PINS="keras==3.13.2 numpy==2.1.3"]: a side
# environment with that Python and TensorFlow (and optional exact pins), every notebook under nbmake.
compat: $(STAMP)
	@test -n "$(TF)" || { echo "usage: make compat [PYTHON=python3.13] TF=2.20.0 [PINS=...]"; exit 2; }
	$(PY) scripts/compat.py --python $(PYTHON) $(TF) $(PINS)

repo:
	@test -n "$(URL)" || { echo "usage: make repo URL=https://github.com/you/fork"; exit 2; }
	$(PYTHON) scripts/nbtools.py set-repo $(URL)

clean-notebooks:
	$(PYTHON) scripts/nbtools.py clear chapters/*.ipynb

# Regenerate requirements.txt from requirements.in in a throwaway environment.
lock:
	rm -rf _build/lock && $(PYTHON) -m venv _build/lock
	_build/lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned environment for the course (Python 3.11 / 3.12, CPU)."; \
	  echo "# Generated from the top-level list in requirements.in with: make lock"; \
	  _build/lock/bin/pip freeze; } > requirements.txt

clean:
	rm -rf _build _ci _mathjax
