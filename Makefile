# mcunet-tf: `make test` and `make demo` set up what they need (venv, pip, Debian packages) and run.
SHELL := /bin/bash
PY := .venv/bin/python
SHARED ?= $(abspath ../shared)
APT_PKGS := bazel-bootstrap bazel-rules-java gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc arduino-builder arduino-core-avr arduino-ctags simavr valgrind
MLPERF := $(wildcard $(SHARED)/models/mlperf_tiny/*.tflite)
export MCUNET_SHARED_MODELS := $(SHARED)/models
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup apt venv models op-models ops-table test test-quick pytest bazel-test demo clean fuzz-ir

setup: apt venv

apt:
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:" $$missing "(run as root, or: sudo apt-get install" $$missing")"; exit 1; fi; \
	fi

venv: .venv/.installed

.venv/.installed: setup.py
	@test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

# int8 models built from the MCUNet architecture configs (random weights, calibrated BN, int8 PTQ).
# Built once per version of the code that makes them and of the installed packages that convert them
# (not per edit of setup.py), in a cache shared by clones on this machine.
MODEL_SOURCES := mcunet_tf/space.py mcunet_tf/zoo.py mcunet_tf/export.py scripts/build_models.py
MODEL_PACKAGES = $(PY) -m pip freeze 2>/dev/null | grep -iE '^(tensorflow|tf.keras|tensorflow-model-optimization|numpy|keras)=='
MODEL_CACHE = $(HOME)/.cache/mcunet-tf/models/$(shell (cat $(MODEL_SOURCES) $(wildcard $(SHARED)/models/mcunet_configs/*.json); $(MODEL_PACKAGES)) | sha1sum | cut -c1-16)
models: setup
	$(PY) scripts/build_models.py --out_dir=$(MODEL_CACHE)
	@mkdir -p build && rm -rf build/models && ln -s $(MODEL_CACHE) build/models

# Small int8 models of ops beyond MCUNet's, from tf_keras through TF's converter (tests/test_op_models.py).
op-models: setup
	$(PY) scripts/build_op_models.py --out_dir=build/op_models

# README.md's supported-ops table, from the lowerings (tests/test_coverage.py checks it is current).
ops-table: setup
	$(PY) scripts/codegen.py --list_ops --readme=README.md >/dev/null

# One pytest worker per core; a test file runs whole on one worker (its module fixtures are built once);
# the slowest tests are listed at the end (CI must stay under 30 minutes).
PYTEST_PARALLEL ?= -n auto --dist loadfile --durations=25
pytest: setup models
	$(PY) -m pytest -q $(PYTEST_PARALLEL) tests

bazel-test: setup
	bazel test //...

test: pytest bazel-test

# The unit tests only, in a few minutes: no test marked e2e (pytest.ini: training, TinyNAS searches, QEMU,
# simavr, whole-model benches and sanitizers, the pipeline's scripts). Needs no `make models`: the tests
# that read build/models skip without it.
test-quick: setup
	$(PY) -m pytest -q $(PYTEST_PARALLEL) -m "not e2e" tests

# The main job on a built-in default: the planner against TFLM on the reference models, then the whole
# pipeline (stage 1, TinyNAS, QAT, int8, C, benchmark) on scikit-learn's digits for a 64 kB / 256 kB MCU.
# DEMO_OUT, DEMO_FLAGS (scripts/mcunet.py flags) and PLAN_MODELS can be overridden (tests/test_pipeline.py).
DEMO_OUT ?= out/demo
DEMO_FLAGS ?= --sram_kb=64 --flash_kb=256
PLAN_MODELS ?= $(MLPERF) $(wildcard build/models/*.int8.tflite)
demo: setup models
	$(PY) scripts/plan.py $(addprefix --tflite=,$(PLAN_MODELS)) --out_dir=$(DEMO_OUT)/plan \
	  --report=$(DEMO_OUT)/plan/plan_report.json
	$(PY) scripts/mcunet.py --dataset=digits $(DEMO_FLAGS) --out_dir=$(DEMO_OUT)

# Structure-aware fuzzing (scripts/fuzz_ir.py): mutants of the MLPerf and single-op models, each accepted one
# built with ASan + UBSan + MR_CHECKED, run and compared with TFLM. FUZZ_SECONDS (or SECONDS=...), FUZZ_SEED.
FUZZ_SECONDS ?= $(if $(SECONDS),$(SECONDS),600)
FUZZ_SEED ?= 0
fuzz-ir: setup
	$(PY) scripts/fuzz_ir.py --seconds=$(FUZZ_SECONDS) --seed=$(FUZZ_SEED) --seeds=$(SHARED)/models/mlperf_tiny \
	  --out=build/fuzz_ir

clean:
	rm -rf build out bazel-*
