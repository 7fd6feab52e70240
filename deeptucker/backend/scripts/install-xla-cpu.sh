#!/usr/bin/env bash
# install-xla-cpu.sh: install XLA's CPU PJRT plugin from PyPI into the project venv and
# print the GOMLX_BACKEND value that selects it, e.g.
#
#     export GOMLX_BACKEND=$(bash deeptucker/backend/scripts/install-xla-cpu.sh)
#
# Why PyPI: GoMLX's auto-install fetches the CPU plugin from GitHub, which some machines
# (this project's CI among them) cannot reach, while PyPI is reachable. The wheel
# lammps-jax-pjrt-cpu 0.11.2 (Apache-2.0, LICENSE and THIRD_PARTY_NOTICES inside) ships
# XLA's CPU plugin pjrt_c_api_cpu_plugin.so, built from the XLA of jaxlib 0.11.2; it
# reports PJRT C API 0.115, newer than go-xla v0.1.4's 0.83 headers, which the C API's
# versioning allows (structs carry their size; fields are only appended).
#
# Only stdout carries the result; progress goes to stderr. Idempotent: a second run only
# checks the installed version. Linux x86-64 only (the wheel's platform).
# Environment: DEEPTUCKER_VENV (default <repo>/.venv), PYTHON (default python3).
set -euo pipefail

readonly PKG=lammps-jax-pjrt-cpu
readonly VERSION=0.11.2
# sha256 of lammps_jax_pjrt_cpu-0.11.2-py3-none-manylinux_2_27_x86_64.whl, the only file of that release.
readonly SHA256=1319390d948b39f69f7dade496b7c385149d9ca6097a6b62114da113216d9ad1
readonly MODULE=lammps_jax_pjrt_cpu
readonly SO=pjrt_c_api_cpu_plugin.so

log() { echo "install-xla-cpu: $*" >&2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
venv=${DEEPTUCKER_VENV:-$root/.venv}
python=${PYTHON:-python3}

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
	log "the $PKG wheel is for Linux x86-64 only, not $(uname -sm)."
	log "use GOMLX_BACKEND=go, or GOMLX_BACKEND=xla:cpu with internet access (GoMLX then downloads the plugin)."
	exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
	log "creating the virtual environment $venv"
	"$python" -m venv "$venv" >&2 || {
		log "'$python -m venv' failed: install Python's venv module (Debian: apt-get install python3-venv), or set DEEPTUCKER_VENV."
		exit 1
	}
fi

installed=$("$venv/bin/python" -m pip show "$PKG" 2>/dev/null | sed -n 's/^Version: //p' || true)
if [[ "$installed" != "$VERSION" ]]; then
	log "installing $PKG==$VERSION (about 63 MB) into $venv"
	req=$(mktemp)
	trap 'rm -f "$req"' EXIT
	echo "$PKG==$VERSION --hash=sha256:$SHA256" >"$req"
	# --no-deps: the wheel declares jax for its LAMMPS use; the plugin itself needs nothing.
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$req" >&2
fi

plugin=$("$venv/bin/python" -c "import $MODULE, sys; sys.stdout.write(str($MODULE.PLUGIN_PATH))")
if [[ ! -f "$plugin" ]]; then
	log "$PKG is installed but $plugin is missing; reinstall with: $venv/bin/python -m pip install --force-reinstall --no-deps $PKG==$VERSION"
	exit 1
fi
case "$plugin" in
*/"$SO") ;;
*) log "unexpected plugin file name $plugin (want $SO)"; exit 1 ;;
esac

log "plugin: $plugin"
log "use it with:  export GOMLX_BACKEND=xla:$plugin"
log "or by name:   export PJRT_PLUGIN_LIBRARY_PATH=$(dirname "$plugin") GOMLX_BACKEND=xla:cpu"
echo "xla:$plugin"
