# Everyday entry points. The build itself is CMake (CMakePresets.json);
# this file only strings the steps together.
#
#   make setup   install missing Debian packages (scripts/setup.sh)
#   make build   configure and build the release preset into build/release
#   make demo    build, run scenarios/baseline.toml, plot it if analysis/plot_run.py exists
#   make test    build and run every test (ctest)
#   make bench   build and run the benchmarks
#   make install [PREFIX=/usr/local]   build, then install missionsim into PREFIX/bin (docs/SWEEP.md, Install)
#   make experiments [JOBS=N]   the essays' claims C1-C8 as paired experiments:
#                scenarios/experiments/ -> docs/EXPERIMENTS.md, docs/figures/experiments/
#   make experiments QUICK=1 [OUT=DIR]   smoke test at a tiny scale, written to DIR
#                (default: a new temporary directory), never over docs/
#   make clean   remove build/ and out/

BUILD_DIR := build/release
JOBS      ?= $(shell nproc)
# Debian's interpreter: the one that imports python3-h5py, numpy, matplotlib.
PYTHON    := /usr/bin/python3
PREFIX    ?= /usr/local

.PHONY: all setup build demo test bench install experiments clean

all: build

setup:
	scripts/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: build
	mkdir -p out
	$(BUILD_DIR)/missionsim run scenarios/baseline.toml -o out/baseline.h5
	@if [ -f analysis/plot_run.py ]; then \
	  echo "$(PYTHON) -m analysis.plot_run out/baseline.h5 -o out/baseline-figures"; \
	  $(PYTHON) -m analysis.plot_run out/baseline.h5 -o out/baseline-figures && \
	  echo "Trajectory: out/baseline.h5  Figures: out/baseline-figures/"; \
	else \
	  echo "Trajectory: out/baseline.h5 (no analysis/plot_run.py yet, so no figures)"; \
	fi

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

bench: build
	@set -e; found=0; \
	for exe in $(BUILD_DIR)/bench/bench_*; do \
	  [ -x "$$exe" ] && [ -f "$$exe" ] || continue; \
	  found=1; echo "== $$exe"; "$$exe"; \
	done; \
	[ $$found = 1 ] || echo "No benchmarks built (bench/bench_*.cpp)."; \
	echo "== bench/numpy_step.py"; \
	$(PYTHON) bench/numpy_step.py --repeats 3 --engine $(BUILD_DIR)/bench/bench_step

install: build
	cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

# NOBUILD=1 skips the build and uses CLI (the ctest smoke test passes the built binary).
CLI ?= $(BUILD_DIR)/missionsim
experiments:
ifndef NOBUILD
	@[ -f $(BUILD_DIR)/CMakeCache.txt ] || cmake --preset release
	cmake --build --preset release --target missionsim -j $(JOBS)
endif
	MISSIONSIM_CLI=$(CLI) $(PYTHON) analysis/experiments/claims.py --jobs $(JOBS) \
	  $(if $(QUICK),--quick $(if $(OUT),--out $(OUT)),$(if $(OUT),--out $(OUT)))

clean:
	rm -rf build out
