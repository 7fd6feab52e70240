# Deep Tucker: the commands the README lists. `make help` describes them.
#
#   make lab    setup, then JupyterLab on notebooks/ (127.0.0.1, token auth)
#   make test   setup, go test ./..., every notebook headless (ci profile),
#               the Dockerfile checks, then the browser test
#
# Variables (environment or `make VAR=value`):
#   DEEPTUCKER_PROFILE   ci | full: notebook workload for `make test`/`make
#                        notebooks` (default ci; `make lab` leaves it unset = full)
#   DEEPTUCKER_DATA_DIR  directory of the real datasets; default ../shared/datasets
#                        (absolute) when that exists
#   GOMLX_BACKEND        GoMLX backend (default go, the pure-Go one)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

export GOMLX_BACKEND ?= go
ifeq ($(origin DEEPTUCKER_DATA_DIR),undefined)
  ifneq ($(wildcard $(ROOT)/../shared/datasets/.),)
    export DEEPTUCKER_DATA_DIR := $(abspath $(ROOT)/../shared/datasets)
  endif
endif
NOTEBOOK_PROFILE := $(or $(DEEPTUCKER_PROFILE),ci)

.PHONY: help setup lab test test-go test-xla-cpu notebooks notebook-smoke browser-test check-docker \
	check-setup requirements clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: ## install Go tools, .venv (JupyterLab, nbconvert) and the kernelspec; idempotent
	@bash kernel/setup.sh

lab: setup ## start JupyterLab on notebooks/ (127.0.0.1, token) with the Go (deep Tucker) kernel
	@bash kernel/lab.sh

test: setup ## everything CI runs: Go tests, notebooks, Dockerfile checks, browser test, XLA CPU
	@$(MAKE) --no-print-directory test-go notebooks check-docker check-setup browser-test test-xla-cpu
	@echo "make test: 6 passed, 0 failed"

test-go: ## go test ./... (real data from DEEPTUCKER_DATA_DIR when set)
	@echo "test-go: DEEPTUCKER_DATA_DIR=$${DEEPTUCKER_DATA_DIR:-<unset>}"
	go test ./...

notebooks: setup ## run every notebooks/*.ipynb headless into build/notebooks and check them
	DEEPTUCKER_PROFILE=$(NOTEBOOK_PROFILE) bash kernel/run-notebooks.sh

notebook-smoke: setup ## run the display-helpers notebook kernel/testdata/smoke.ipynb headless
	DEEPTUCKER_NB_OUT=$(ROOT)/build/smoke DEEPTUCKER_PROFILE=$(NOTEBOOK_PROFILE) \
		bash kernel/run-notebooks.sh kernel/testdata/smoke.ipynb

test-xla-cpu: setup ## model tests and the quickstart notebook on XLA's CPU plugin (PyPI wheel, into .venv)
	@backend="$$(bash deeptucker/backend/scripts/install-xla-cpu.sh)"; \
	echo "test-xla-cpu: GOMLX_BACKEND=$$backend"; \
	GOMLX_BACKEND="$$backend" DEEPTUCKER_TEST_XLA=1 go test ./deeptucker/...; \
	GOMLX_BACKEND="$$backend" DEEPTUCKER_NB_OUT=$(ROOT)/build/notebooks-xla-cpu DEEPTUCKER_PROFILE=ci \
		bash kernel/run-notebooks.sh notebooks/00-quickstart.ipynb

browser-test: setup ## headless Chromium runs a notebook in JupyterLab; screenshot in build/browser
	go run ./kernel/cmd/browsertest -out $(ROOT)/build/browser \
		-notebook kernel/testdata/smoke.ipynb -saved build/notebooks/00-quickstart.ipynb

check-docker: ## static checks of Dockerfile (pinned base, non-root, token, same setup command)
	go run ./kernel/cmd/dockercheck -dockerfile Dockerfile -makefile Makefile -ci .ci/run

.PHONY: docker-check
docker-check: ## build the Dockerfile for real (podman, local Debian+Go base), run it, check lab+token+quickstart
	@bash kernel/docker/docker-check.sh

check-setup: ## run setup again and fail if it changed anything (idempotence)
	@bash kernel/check-setup.sh

requirements: ## regenerate kernel/requirements.txt from kernel/requirements.in
	@bash kernel/lock-requirements.sh

clean: ## remove build/ (executed notebooks, screenshots)
	rm -rf build

distclean: clean ## also remove .venv (tools, JupyterLab, kernelspec)
	rm -rf .venv
