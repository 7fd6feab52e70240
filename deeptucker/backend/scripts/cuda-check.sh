#!/usr/bin/env bash
# cuda-check.sh: run the deeptucker tests and benchmarks on XLA's CUDA backend
# (GOMLX_BACKEND=xla:cuda) on an NVIDIA GPU machine, and print a benchmark table.
#
#   cuda-check.sh build   compile the test binaries into build/cuda-check/ (needs Go; no GPU)
#   cuda-check.sh run     run them on the GPU (needs no Go, no internet)
#   cuda-check.sh         both, for a GPU machine that has Go
#
# Two steps because a GPU machine may lack Go: build where Go is, carry build/cuda-check/
# along with the working tree, run there. Binaries are built with cgo for linux/amd64.
#
# The CUDA PJRT plugin is the one in jax-cuda13-pjrt (with its NVIDIA libraries from
# jax-cuda13-plugin[with-cuda]); the run step finds it in python3's site-packages, or
# installs wheels carried in .whl/ (pip install --no-index). To make GOMLX_BACKEND=xla:cuda
# find it by name, it links pjrt_c_api_cuda_plugin.so -> xla_cuda_plugin.so in the plugin's
# own directory (the plugin's RPATH, $ORIGIN/../../nvidia/..., is resolved from the link's
# directory, so the link must sit beside it) and points PJRT_PLUGIN_LIBRARY_PATH there.
# A GOMLX_BACKEND set by the caller is used as it is.
#
# Environment: BENCHTIME (default 20x), TEST_TIMEOUT (default 4m), OUT (if set, a log
# and the table are also written there), PKGS (packages to build, default ./deeptucker/...),
# BENCH (test binaries to benchmark, default "deeptucker deeptucker_backend").
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# Private scratch space (never a fixed /tmp path another user could have prepared), removed on exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cuda-check.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
bin=$root/build/cuda-check
mode=${1:-all}
benchtime=${BENCHTIME:-20x}
timeout=${TEST_TIMEOUT:-4m}
log() { echo "cuda-check: $*" >&2; }

build() {
	command -v go >/dev/null || { log "no Go toolchain here: run 'cuda-check.sh build' where Go is, and carry build/cuda-check"; return 1; }
	cd "$root" || return 1
	rm -rf "$bin" && mkdir -p "$bin"
	local pkgs
	pkgs=$(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ${PKGS:-./deeptucker/...}) || return 1
	local failed=0
	while read -r pkg dir; do
		[[ -z "$pkg" ]] && continue
		local name=${pkg#github.com/deeptucker/deeptucker/}
		name=${name//\//_}
		log "building $pkg"
		if CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go test -c -trimpath -ldflags='-s -w' -o "$bin/$name.test" "$pkg"; then
			echo "$name ${dir#$root/}" >>"$bin/packages.txt"
		else
			log "FAILED to build $pkg"
			failed=1
		fi
	done <<<"$pkgs"
	du -sh "$bin" >&2
	return $failed
}

# find_plugin prints the directory holding xla_cuda_plugin.so (jax-cuda13-pjrt).
find_plugin() {
	local py=python3 d
	if [[ -d "$root/.whl" ]] && compgen -G "$root/.whl/*.whl" >/dev/null; then
		log "installing the carried wheels from .whl/ into $scratch/site"
		python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$scratch/site" "$root"/.whl/*.whl >&2 &&
			[[ -f "$scratch/site/jax_plugins/xla_cuda13/xla_cuda_plugin.so" ]] && { echo "$scratch/site/jax_plugins/xla_cuda13"; return; }
	fi
	d=$("$py" - <<'PY' 2>/dev/null
import importlib.util, os
s = importlib.util.find_spec("jax_plugins.xla_cuda13")
if s and s.submodule_search_locations:
    print(list(s.submodule_search_locations)[0])
PY
	)
	if [[ -n "$d" && -f "$d/xla_cuda_plugin.so" ]]; then echo "$d"; return; fi
	for d in /opt/*/.venv/lib/python3*/site-packages/jax_plugins/xla_cuda13 /usr/local/lib/python3*/dist-packages/jax_plugins/xla_cuda13; do
		[[ -f "$d/xla_cuda_plugin.so" ]] && { echo "$d"; return; }
	done
	return 1
}

setup_cuda() {
	if [[ -n "${GOMLX_BACKEND:-}" ]]; then
		log "using the caller's GOMLX_BACKEND=$GOMLX_BACKEND"
		return 0
	fi
	local dir site link
	dir=$(find_plugin) || {
		log "no CUDA PJRT plugin found: pip install jax-cuda13-pjrt 'jax-cuda13-plugin[with-cuda]' (or carry their wheels in .whl/)"
		return 1
	}
	site=$(cd "$dir/../.." && pwd)
	log "CUDA plugin: $dir/xla_cuda_plugin.so"
	link=$dir
	if ! ln -sf xla_cuda_plugin.so "$dir/pjrt_c_api_cuda_plugin.so" 2>/dev/null; then
		# Read-only site-packages: link from elsewhere; RPATH then misses, LD_LIBRARY_PATH covers it.
		link=$scratch/cuda-pjrt
		mkdir -p "$link" && ln -sf "$dir/xla_cuda_plugin.so" "$link/pjrt_c_api_cuda_plugin.so"
	fi
	local libs
	libs=$(ls -d "$site"/nvidia/*/lib 2>/dev/null | paste -sd: -)
	export LD_LIBRARY_PATH=${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export PJRT_PLUGIN_LIBRARY_PATH=$link GOMLX_BACKEND=xla:cuda GOMLX_NO_AUTO_INSTALL=1
	log "PJRT_PLUGIN_LIBRARY_PATH=$PJRT_PLUGIN_LIBRARY_PATH"
	log "XLA_FLAGS=${XLA_FLAGS:-} (deeptucker/backend adds --xla_gpu_cuda_data_dir if missing; the XLA test logs it)"
}

# table turns 'go test -bench' lines into Markdown table rows.
table() {
	awk -v backend="$1" '
		BEGIN { if (backend ~ /^xla:\//) { n = split(backend, p, "/"); backend = "xla:" p[n] } }
		/^Benchmark/ && $4 == "ns/op" {
			name = $1; sub(/-[0-9]+$/, "", name)
			extra = ""
			for (i = 5; i + 1 <= NF; i += 2) extra = extra (extra == "" ? "" : ", ") $i " " $(i + 1)
			printf "| %s | %s | %d | %.3f | %s |\n", name, backend, $2, $3 / 1e6, extra
		}'
}

run() {
	[[ -f "$bin/packages.txt" ]] || { log "no test binaries in $bin: run 'cuda-check.sh build' first (and carry build/cuda-check)"; return 1; }
	nvidia-smi -L || log "nvidia-smi failed: is there a GPU?"
	setup_cuda || return 1
	local status=0 name dir out=${OUT:-$root/build/cuda-check-results}
	mkdir -p "$out"
	local logf=$out/cuda-check.log rows=$out/cuda-bench.md
	: >"$logf"
	while read -r name dir; do
		log "=== go test $dir with GOMLX_BACKEND=$GOMLX_BACKEND"
		(cd "$root/$dir" && DEEPTUCKER_TEST_XLA=1 "$bin/$name.test" -test.v -test.timeout "$timeout") >"$out/test-$name.log" 2>&1
		local rc=$?
		cat "$out/test-$name.log" >>"$logf"
		# Failures, the XLA test's log lines (plugin, XLA_FLAGS, timings) and the verdict.
		grep -E '^(--- FAIL|FAIL|ok|panic)|xla_test\.go:[0-9]+: ' "$out/test-$name.log"
		echo "$name: $(grep -c '^--- PASS' "$out/test-$name.log") passed, $(grep -c '^--- FAIL' "$out/test-$name.log") failed, $(grep -c '^--- SKIP' "$out/test-$name.log") skipped (exit $rc)"
		rm -f "$out/test-$name.log"
		[[ $rc -eq 0 ]] || status=1
	done <"$bin/packages.txt"

	{
		echo "| benchmark | backend | iterations | ms/op | other metrics |"
		echo "| --- | --- | ---: | ---: | --- |"
	} >"$rows"
	for name in ${BENCH:-deeptucker deeptucker_backend}; do
		dir=$(awk -v n="$name" '$1 == n { print $2 }' "$bin/packages.txt")
		[[ -n "$dir" ]] || { log "no test binary for $name: skipping its benchmarks"; continue; }
		for be in "$GOMLX_BACKEND" go; do
			log "=== go test -bench . $dir with GOMLX_BACKEND=$be (benchtime $benchtime)"
			(cd "$root/$dir" && GOMLX_BACKEND=$be "$bin/$name.test" -test.run XXX -test.bench . \
				-test.benchtime "$benchtime" -test.timeout "$timeout") 2>&1 |
				tee -a "$logf" | table "$be" >>"$rows"
			[[ ${PIPESTATUS[0]} -eq 0 ]] || { log "benchmarks of $name failed on $be (see $logf)"; status=1; }
		done
	done
	echo
	echo "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null); benchtime $benchtime"
	cat "$rows"
	return $status
}

case $mode in
build) build ;;
run) run ;;
all) build && run ;;
*) log "usage: cuda-check.sh [build|run|all]"; exit 2 ;;
esac
