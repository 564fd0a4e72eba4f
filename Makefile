# bpkit course: the two commands are `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# jupyter refuses to run as root without --allow-root.
# make lab runs on the whole repository (a textbook with the answers at the back): check() judges
# with the answer key there (BPKIT_JUDGE), hidden cases included
ROOTFLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: lab test test-browser release grade-demo bench venv clean bundle sandbox
.PHONY: hub hub-stop test-hub bench-hub diagnose test-torch lint test-fast test-ablation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-browser: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,browser]'
	touch $@

venv: $(VENV)/.installed

# grading kernels run in a bubblewrap sandbox (bpkit_instructor/course/sandbox.py): Debian's `bubblewrap`
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = "0" ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) \
	  || echo "make: install bubblewrap (apt-get install -y bubblewrap) to grade in the sandbox"; }

lab: $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" BPKIT_JUDGE=bpkit_instructor.judge \
	  $(BIN)/jupyter lab $(ROOTFLAG) --notebook-dir=. lectures/01-chain-rule.ipynb

test: $(VENV)/.installed sandbox
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q

# the inner loop (under 3 minutes): the engine, the checker and judge, the released-data contract,
# and one assignment end to end (its solution notebook executed, graded by real nbgrader)
FAST_TESTS := tests/test_engine_activations_losses.py tests/test_engine_layers.py \
	tests/test_engine_gradcheck.py tests/test_grading_judge.py tests/test_hints.py \
	tests/test_student_part.py::test_released_data_are_one_versioned_format_and_hold_no_code \
	tests/test_student_part.py::test_the_student_part_never_names_the_key \
	tests/test_student_part.py::test_the_student_part_works_with_the_key_absent \
	tests/test_import_graph.py tests/test_grading_pipeline.py "tests/test_course.py::test_solution_passes_nbgrader_validate[03-backprop]"
test-fast: $(VENV)/.installed sandbox
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q $(FAST_TESTS)

# does each technique of the capstone (assignment 11) matter? 8 draws of its ablations (about 4
# minutes on 2 cores; CI runs it after make test)
test-ablation: $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q -n 0 -m ablation tests/test_capstone_ablation.py

# ruff (configured in pyproject.toml): pyflakes, pycodestyle, import order, likely bugs
lint: $(VENV)/.installed
	$(BIN)/ruff check .

test-browser: $(VENV)/.installed-browser
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q -n 0 -m browser tests/browser tests/test_report.py

# The course on a JupyterHub on this machine (as root): system users, exchange, student and
# instructor environments, JupyterHub behind configurable-http-proxy (README "Running a course")
$(VENV)/.installed-hub: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,browser,hub]'
	touch $@

.hub/node_modules/.bin/configurable-http-proxy:
	npm install --silent --prefix .hub configurable-http-proxy

hub: $(VENV)/.installed-hub .hub/node_modules/.bin/configurable-http-proxy sandbox
	PATH="$(abspath $(BIN)):$$PATH" $(PY) hub/setup.py start

hub-stop:
	$(PY) hub/setup.py stop

# the whole class in a real browser, on its own hub (own port, exchange and course folder)
test-hub: $(VENV)/.installed-hub .hub/node_modules/.bin/configurable-http-proxy sandbox
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q -n 0 -m hub tests/hub

# a 30-student class fetching and submitting at the same moment: response times per page
# (benchmarks/HUB_LOAD.md), on its own hub
bench-hub: $(VENV)/.installed-hub .hub/node_modules/.bin/configurable-http-proxy
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m benchmarks.hub_load --students 30

# lecture 14 (From bpkit to PyTorch) with the optional PyTorch extra: installs it into the venv
# (pip takes the local CPU wheel where the machine has one), then runs the lecture with and without it
test-torch: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,torch]'
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m pytest -q -n 0 tests/test_torch_lecture.py

release: $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m bpkit_instructor.course.cli release

grade-demo: $(VENV)/.installed sandbox
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m bpkit_instructor.course.cli grade-demo

# PyTorch is the reference of the engine benchmarks, never a dependency: a separate venv,
# best effort (pip takes the local CPU wheel where the machine has one)
TORCH_VENV := .venv-torch
$(TORCH_VENV)/bin/python:
	-$(PYTHON) -m venv $(TORCH_VENV) && $(TORCH_VENV)/bin/pip install --quiet torch==2.13.0 numpy

bench: $(VENV)/.installed $(TORCH_VENV)/bin/python
	BPKIT_TORCH_PYTHON="$(abspath $(TORCH_VENV))/bin/python" PATH="$(abspath $(BIN)):$$PATH" $(PY) -m benchmarks.run

# how well wrong answers nobody catalogued are rejected and explained (benchmarks/diagnosis.py)
diagnose: $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m benchmarks.diagnosis

# the student distribution: lectures, exercises, a wheel of bpkit's student part (no answer key)
bundle: $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" $(PY) -m bpkit_instructor.course.cli bundle

clean:
	rm -rf submitted autograded feedback gradebook.db reports
