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
BOOK_SOURCES := $(wildcard chapters/*.ipynb chapters/*.md chapters/images/*) _config.yml _toc.yml \
                references.bib $(wildcard helpers/*.py helpers/checks/*.py)
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
# Claims of the text must hold in the course's own runs (helpers.claims); learners get notices.
export COURSE_STRICT_CLAIMS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup book test unit lint student bench compat repo clean clean-notebooks lock browser-deps

help:
	@echo "make book     build the book into _build/html (sets up .venv first)"
	@echo "make test     every check: lint, unit tests, notebooks, book build (-W), site tests"
	@echo "make student  student notebooks (solutions removed) into _build/student"
	@echo "make bench    benchmarks/mnist_loop.py: fit vs hand-written loop"
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
_build/html/index.html: $(STAMP) $(MATHJAX) $(BOOK_SOURCES)
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going --quiet
	@touch $@

book: _build/html/index.html
	@echo "The book is in $(CURDIR)/_build/html/index.html"

# ---------------------------------------------------------------- checks
test: setup browser-deps
	$(PY) scripts/run_checks.py

unit: setup
	$(PY) -m pytest -q -m "not slow and not browser"

lint: setup
	$(VENV)/bin/ruff check helpers tests benchmarks scripts chapters

student: setup
	$(PY) scripts/make_student.py

bench: setup
	$(PY) benchmarks/mnist_loop.py

# make compat TF=2.19 [PINS="keras==3.10.0 numpy==2.0.2"]: a side environment with that
# TensorFlow (and optional exact pins), every notebook under nbmake.
compat: $(STAMP)
	@test -n "$(TF)" || { echo "usage: make compat TF=2.19"; exit 2; }
	$(PY) scripts/compat.py $(TF) $(PINS)

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
