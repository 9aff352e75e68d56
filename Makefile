# Entry points (see README): `make book`, `make pdf` and `make test`.
# Each creates the virtual environment on first use and installs everything into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBDIR  := _build/nbval
# Notebooks execute in their own folders, so a relative data root is made absolute here.
override export STEGO_DATA := $(abspath $(if $(STEGO_DATA),$(STEGO_DATA),data))
# Two OpenMP threads per process: CI has two cores. While something else keeps the cores busy
# (a campaign in the background), run the tests with OMP_NUM_THREADS=1: a notebook kernel's
# two threads then wait on each other (a small convolution measured 40 times slower).
export OMP_NUM_THREADS ?= 2
export PYDEVD_DISABLE_FILE_VALIDATION = 1

.PHONY: setup book pdf test unit notebooks browser-check bench campaign campaign-status verify clean

setup: $(STAMP)

# torchattacks (PGD's reference in tests/test_pgd.py) pins requests~=2.25, which sphinx 7
# refuses; it never imports requests and its other dependencies are installed already.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[test]"
	$(BIN)/pip install --no-deps torchattacks==3.5.1
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 --display-name "Python 3"
	touch $@

book: setup
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "Book: _build/html/index.html"

# Unit, property and statistical tests, and every docstring example in the package.
# Then every notebook at profile smoke, the book and its PDF, and both checked in a browser.
test: setup unit notebooks book pdf browser-check

unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser --doctest-modules stego_lib --durations=10

# The book as one PDF, _build/pdf/book.pdf: the single-page build, printed by the headless
# Chromium of browser-check once MathJax and the images are done. After `make book` the
# single-page build reuses the executed notebooks instead of running them again. A copy goes
# to the top of the HTML build, where every page's footer and the bibliography link to it.
pdf: setup
	$(BIN)/jupyter-book build . --builder singlehtml -W --keep-going
	$(BIN)/python tests/browser/print_book.py _build/singlehtml _build/pdf/book.pdf
	mkdir -p _build/html && cp _build/pdf/book.pdf _build/html/book.pdf

# Serve _build/html on 127.0.0.1 and open every page in headless Chromium (Debian's
# `chromium`; nothing is downloaded): JavaScript errors, unrendered formulas, broken links,
# missing images, sideways scrolling, Markdown shown as text, tables captioned as figures
# and squeezed figures fail; every notebook page must offer a runnable .ipynb; the PDF, when
# built, must hold every chapter, and the pages' link to it must resolve. Screenshots land in
# _build/screenshots/.
browser-check: setup
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

# Each notebook: MyST text -> ipynb -> parameters set to the smoke profile -> nbval.
notebooks: setup
	rm -rf $(NBDIR) && mkdir -p $(NBDIR)
	for nb in notebooks/*.md; do \
	  name=$$(basename $$nb .md); \
	  $(BIN)/jupytext --quiet --to ipynb -o $(NBDIR)/$$name.raw.ipynb $$nb && \
	  $(BIN)/papermill --prepare-only $(NBDIR)/$$name.raw.ipynb $(NBDIR)/$$name.ipynb -p profile smoke && \
	  rm $(NBDIR)/$$name.raw.ipynb || exit 1; \
	done
	$(BIN)/python -m pytest --nbval-lax -p no:cacheprovider --durations=10 $(NBDIR)

bench: setup
	$(BIN)/pip install -e ".[bench]"
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# The paper-scale results, resumable: `nohup nice -n 10 make campaign > campaign.log 2>&1 &`.
# Pass ITEMS=a,b or MINUTES=M to narrow it, WORKERS=N for N one-thread Dask worker processes
# (default: one per core); finished chunks land in results/ and checkpoints/.
campaign: setup
	$(BIN)/python -m stego_lib.campaign run $(if $(ITEMS),--items $(ITEMS)) $(if $(MINUTES),--max-minutes $(MINUTES)) $(if $(WORKERS),--workers $(WORKERS))

# Re-execute a seeded sample of the committed results on this machine and compare them with the
# committed arrays (MINUTES=5 budget, SEED=0, CHUNK=experiment/key for one result).
verify: setup
	$(BIN)/python -m stego_lib.verify --minutes $(or $(MINUTES),5) --seed $(or $(SEED),0) $(if $(CHUNK),--chunk $(CHUNK))

campaign-status: setup
	$(BIN)/python -m stego_lib.campaign status $(if $(ITEMS),--items $(ITEMS))

clean:
	rm -rf _build
