# Deep Tucker: the commands the README lists. `make help` describes them.
#
#   make lab    setup, then JupyterLab on notebooks/ (127.0.0.1, token auth)
#   make test   go test ./... and the Dockerfile checks (while setup runs),
#               every notebook headless (ci profile), setup idempotence, the
#               browser test, XLA CPU; ends "make test: N passed, M failed"
#
# Variables (environment or `make VAR=value`):
#   DEEPTUCKER_PROFILE   ci | full: notebook workload for `make test`/`make
#                        notebooks` (default ci; `make lab` leaves it unset = full)
#   DEEPTUCKER_DATA_DIR  directory of the real datasets (else the user cache, filled
#                        by a verified download; see datasets/doc.go)
#   GOMLX_BACKEND        GoMLX backend; unset: XLA's CPU plugin when `make setup` installed
#                        it in .venv, else go (pure Go). test-go always runs on go,
#                        test-xla-cpu on XLA's CPU plugin

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

NOTEBOOK_PROFILE := $(or $(DEEPTUCKER_PROFILE),ci)

.PHONY: help setup lab test test-go test-xla-cpu notebooks notebook-smoke browser-test check-docker \
	check-setup check-lab figures requirements clean distclean bench bench-env executed-notebooks

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: ## install Go tools, .venv (JupyterLab, nbconvert), the kernelspec and XLA's CPU plugin; idempotent
	@bash kernel/setup.sh
	@[[ -n "$${DEEPTUCKER_SETUP_BACKGROUND:-}" ]] || \
		bash deeptucker/backend/scripts/install-xla-cpu.sh >/dev/null || \
		echo "setup: no XLA CPU plugin installed (see above); the pure-Go backend is the default"

lab: setup ## start JupyterLab on notebooks/ (127.0.0.1, token) with the Go (deep Tucker) kernel
	@bash kernel/lab.sh

# The checks of `make test`, in order. Each runs even when an earlier one
# failed. test-go and check-docker need no setup: for `make test`, setup runs
# in the background (DEEPTUCKER_SETUP_BACKGROUND, see kernel/setup.sh; log in
# build/setup.log) while they run, and the other checks wait for it.
TEST_CHECKS := test-go check-docker notebooks check-setup check-lab browser-test test-xla-cpu
NO_SETUP_CHECKS := test-go check-docker

test: setup ## everything CI runs: Go tests, Dockerfile checks, notebooks, setup idempotence, lab, browser test, XLA CPU
	@unset DEEPTUCKER_SETUP_BACKGROUND; passed=0; failed=0; failures=(); setup_done=""; \
	for check in $(TEST_CHECKS); do \
		if [[ -z "$$setup_done" && " $(NO_SETUP_CHECKS) " != *" $$check "* ]]; then \
			setup_done=1; \
			while [[ ! -f build/setup.rc ]] && kill -0 "$$(cat build/setup.pid)" 2>/dev/null; do sleep 1; done; \
			sed 's/^/    /' build/setup.log; \
			[[ "$$(cat build/setup.rc 2>/dev/null)" == 0 ]] || echo "make test: setup FAILED (build/setup.log); the checks below need it"; \
		fi; \
		echo "=== make $$check"; start=$$SECONDS; \
		if $(MAKE) --no-print-directory "$$check"; then \
			passed=$$((passed + 1)); echo "=== make $$check: ok ($$((SECONDS - start))s)"; \
		else \
			failed=$$((failed + 1)); failures+=("$$check"); echo "=== make $$check: FAILED ($$((SECONDS - start))s)"; \
		fi; \
	done; \
	while [[ ! -f build/setup.rc ]] && kill -0 "$$(cat build/setup.pid)" 2>/dev/null; do sleep 1; done; \
	if ((failed > 0)); then echo "make test: failed: $${failures[*]}"; fi; \
	echo "make test: $$passed passed, $$failed failed"; \
	((failed == 0))

test: export DEEPTUCKER_SETUP_BACKGROUND := 1

test-go: ## go test ./... on the pure-Go backend (real data from DEEPTUCKER_DATA_DIR when set); the build without XLA vets
	@echo "test-go: GOMLX_BACKEND=go DEEPTUCKER_DATA_DIR=$${DEEPTUCKER_DATA_DIR:-<unset>}"
	GOMLX_BACKEND=go go test ./...
	@echo "test-go: without XLA (CGO_ENABLED=0, as on a machine with no C compiler), everything, tests included, builds and vets"
	CGO_ENABLED=0 go vet ./...

# Notebooks to execute for the committed copies (all by default).
NOTEBOOKS ?= $(wildcard notebooks/*.ipynb)

executed-notebooks: setup ## execute notebooks (NOTEBOOKS=...) in the full profile, stamp them, copy them to notebooks/ with outputs
	DEEPTUCKER_PROFILE=full DEEPTUCKER_NB_OUT=$(ROOT)/build/executed bash kernel/run-notebooks.sh $(NOTEBOOKS)
	go run ./kernel/cmd/nbcheck -stamp full -backend "$${GOMLX_BACKEND:-default}" $(addprefix build/executed/,$(notdir $(NOTEBOOKS)))
	cp $(addprefix build/executed/,$(notdir $(NOTEBOOKS))) notebooks/

notebooks: setup ## run every notebooks/*.ipynb headless into build/notebooks and check them
	DEEPTUCKER_PROFILE=$(NOTEBOOK_PROFILE) bash kernel/run-notebooks.sh

notebook-smoke: setup ## run the display-helpers notebook kernel/testdata/smoke.ipynb headless
	DEEPTUCKER_NB_OUT=$(ROOT)/build/smoke DEEPTUCKER_PROFILE=$(NOTEBOOK_PROFILE) \
		bash kernel/run-notebooks.sh kernel/testdata/smoke.ipynb

test-xla-cpu: setup ## model tests and the quickstart notebook on XLA's CPU plugin (PyPI wheel, into .venv)
	@backend="$$(bash deeptucker/backend/scripts/install-xla-cpu.sh)"; \
	echo "test-xla-cpu: GOMLX_BACKEND=$$backend"; \
	GOMLX_BACKEND="$$backend" DEEPTUCKER_TEST_XLA=1 go test -short ./deeptucker/...; \
	GOMLX_BACKEND="$$backend" DEEPTUCKER_NB_OUT=$(ROOT)/build/notebooks-xla-cpu DEEPTUCKER_PROFILE=ci \
		bash kernel/run-notebooks.sh notebooks/00-quickstart.ipynb

browser-test: setup ## headless Chromium runs a notebook in JupyterLab, then renders figures to PNG in build/browser
	@rm -rf build/gallery && mkdir -p build/gallery
	KERNEL_GALLERY_DIR=$(ROOT)/build/gallery go test -count=1 -run '^TestGallery$$' ./kernel/
	go run ./kernel/cmd/browsertest -out $(ROOT)/build/browser \
		-notebook kernel/testdata/smoke.ipynb -saved build/notebooks/00-quickstart.ipynb \
		-figures 'build/notebooks/*.ipynb' -gallery build/gallery

figures: ## render the first figure of each executed notebook and kernel's gallery to PNG (build/figures), no JupyterLab
	@rm -rf build/gallery && mkdir -p build/gallery
	KERNEL_GALLERY_DIR=$(ROOT)/build/gallery go test -count=1 -run '^TestGallery$$' ./kernel/
	go run ./kernel/cmd/browsertest -figures-only -out $(ROOT)/build/figures \
		-figures 'build/notebooks/*.ipynb' -gallery build/gallery

check-docker: ## static checks of Dockerfile (pinned base, non-root, token, same setup command)
	go run ./kernel/cmd/dockercheck -dockerfile Dockerfile -makefile Makefile -ci .ci/run

check-lab: setup ## start `make lab` for real: free port, token required and not inherited, bad configs refused
	@bash kernel/check-lab.sh

.PHONY: docker-check
docker-check: ## build the Dockerfile for real (podman, local Debian+Go base), run it, check lab+token+quickstart
	@bash kernel/docker/docker-check.sh

check-setup: ## run setup again and fail if it changed anything (idempotence)
	@bash kernel/check-setup.sh

requirements: ## regenerate kernel/requirements.txt from kernel/requirements.in
	@bash kernel/lock-requirements.sh

bench-env: setup ## install JAX (CPU, pinned in deeptucker/benchref/requirements.txt) into .venv for make bench
	.venv/bin/python -m pip install --disable-pip-version-check --no-input --quiet -r deeptucker/benchref/requirements.txt

bench: ## ratio table: go, xla:cpu and the JAX reference (if installed), interleaved; BENCH_FLAGS=-rounds 5
	nice -n 10 go run ./deeptucker/cmd/benchcompare $(BENCH_FLAGS)

clean: ## remove build/ (executed notebooks, screenshots)
	rm -rf build

distclean: clean ## also remove .venv (tools, JupyterLab, kernelspec)
	rm -rf .venv
