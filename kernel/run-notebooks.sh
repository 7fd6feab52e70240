#!/usr/bin/env bash
# Executes notebooks headless under the "deeptucker-go" kernel (nbclient, via
# kernel/run-notebook.py, which streams each cell's printed lines and progress),
# writes the executed copies to build/notebooks/ (never committed), then checks
# them with kernel/cmd/nbcheck. Exits non-zero when any cell errors, a CHECK
# line is out of bounds, or a declared figure/table is missing.
#
#   kernel/run-notebooks.sh [NOTEBOOK.ipynb ...]    (default: notebooks/*.ipynb)
#
# Environment:
#   DEEPTUCKER_PROFILE  ci | full: the notebooks' workload (see kernel.Profile);
#                       `make test` and `make notebooks` set ci unless given.
#   DEEPTUCKER_NB_OUT   output directory (default build/notebooks)
#   DEEPTUCKER_CELL_TIMEOUT  seconds one cell may run (default 1800; -1 = none)
#   DEEPTUCKER_NB_PROGRESS_EVERY  seconds between two streamed progress lines
#                       of one progress block (default 15)
#   CI                  when set, a notebook committed with outputs is an error
# The kernel's own log (GoNB, compiler) goes to <out>/<name>.log, shown on failure.
# Run `make setup` first (make does).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
out="${DEEPTUCKER_NB_OUT:-$root/build/notebooks}"
cell_timeout="${DEEPTUCKER_CELL_TIMEOUT:-1800}"
kernel_name="deeptucker-go"

die() {
	printf 'run-notebooks: error: %s\n' "$*" >&2
	exit 2
}
[[ -x "$venv/bin/jupyter" && -f "$venv/share/jupyter/kernels/$kernel_name/kernel.json" ]] ||
	die "the kernel is not set up: run 'make setup' first"
case "${DEEPTUCKER_PROFILE:-}" in
"" | ci | full) ;;
*) die "DEEPTUCKER_PROFILE='$DEEPTUCKER_PROFILE': use 'ci' or 'full'" ;;
esac

if (($# == 0)); then
	shopt -s nullglob
	set -- "$root"/notebooks/*.ipynb
	shopt -u nullglob
	(($# > 0)) || die "no notebooks in $root/notebooks"
fi
mkdir -p "$out"
# Our kernelspec first, ahead of any same-named one in the user's directories.
export JUPYTER_PATH="$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

# nbcheck is built once, into a private directory (runs may overlap).
nbcheck_dir="$(mktemp -d)"
trap 'rm -rf "$nbcheck_dir"' EXIT
nbcheck="$nbcheck_dir/nbcheck"
(cd "$root" && go build -o "$nbcheck" ./kernel/cmd/nbcheck) || die "cannot build kernel/cmd/nbcheck"

# The notebooks as committed. Those in notebooks/ are committed executed in the
# full profile, so that a reader sees their figures without running them: their
# stamp must match their cells (not stale) and their outputs pass every check.
# Others (test fixtures) are committed with outputs cleared. In CI (CI set) a
# failure is an error; locally, after working in JupyterLab, only a warning.
committed=() cleared=()
for nb in "$@"; do
	if [[ "$(cd "$(dirname "$nb")" && pwd -P)" == "$root/notebooks" ]]; then committed+=("$nb"); else cleared+=("$nb"); fi
done
if { ((${#committed[@]} == 0)) || "$nbcheck" -committed full -q -kernel "$kernel_name" "${committed[@]}"; } &&
	{ ((${#cleared[@]} == 0)) || "$nbcheck" -source -q -kernel "$kernel_name" "${cleared[@]}"; }; then
	:
else
	[[ -z "${CI:-}" ]] || die "fix the notebooks above (CI checks them as committed; make executed-notebooks refreshes notebooks/)"
	echo "run-notebooks: warning: the committed notebooks above need 'make executed-notebooks' (or cleared outputs, for fixtures) before committing"
fi

echo "run-notebooks: profile=${DEEPTUCKER_PROFILE:-full} backend=${GOMLX_BACKEND:-default} out=${out#"$root"/}"
passed=0
failed=()
for nb in "$@"; do
	[[ -f "$nb" ]] || die "no such notebook: $nb"
	name="$(basename "$nb" .ipynb)"
	log="$out/$name.log"
	rm -f "$out/$name.ipynb"
	start=$SECONDS
	echo "run-notebooks: $name: executing"
	# Errors are allowed: execution goes on and the executed copy is always
	# written, so that a failure can be read in it; nbcheck turns errors into
	# failure. Cell starts, printed lines and progress stream to stdout; the
	# kernel's own log goes to $log.
	if ! "$venv/bin/python" "$root/kernel/run-notebook.py" "$nb" "$out/$name.ipynb" \
		--kernel "$kernel_name" --timeout "$cell_timeout" --startup-timeout 180 \
		--progress-every "${DEEPTUCKER_NB_PROGRESS_EVERY:-15}" 2>"$log"; then
		echo "run-notebooks: $name: execution FAILED after $((SECONDS - start))s; end of ${log#"$root"/}:"
		grep -v '^[IW][0-9]\{4\} ' "$log" | tail -n 25 | sed 's/^/    /'
		failed+=("$name")
		continue
	fi
	echo "run-notebooks: $name: executed in $((SECONDS - start))s"
	if "$nbcheck" -kernel "$kernel_name" "$out/$name.ipynb"; then
		passed=$((passed + 1))
	else
		failed+=("$name")
	fi
done
echo "run-notebooks: ${passed} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
((${#failed[@]} == 0))
