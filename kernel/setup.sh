#!/usr/bin/env bash
# Prepares this clone for the notebooks; `make setup` runs it, and so do
# `make lab`, `make test`, CI and the Dockerfile. Running it again changes
# nothing unless an input changed (go.mod, kernel/requirements.txt, the Go
# toolchain or the clone's path).
#
# It installs, all inside the clone's .venv/ (ignored by git):
#   - the Go tools pinned by go.mod's `tool` directives (gonb, goimports,
#     gopls) into .venv/bin;
#   - JupyterLab, nbconvert and nbclient, pinned in kernel/requirements.txt;
#   - JupyterLab settings (.venv/share/jupyter/lab/settings/overrides.json):
#     no news pop-up, no update check;
#   - the Jupyter kernelspec "deeptucker-go" ("Go (deep Tucker)") in
#     .venv/share/jupyter/kernels, which starts GoNB through kernel/gonb-kernel
#     with a go.work that uses this clone: a notebook's first cell can import
#     github.com/deeptucker/deeptucker/... with no setup cell.
#
# Environment: PYTHON (default python3) picks the interpreter for the venv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
kernel_name="deeptucker-go"
display_name="Go (deep Tucker)"
python="${PYTHON:-python3}"
min_python="3.11" # the oldest every pin of kernel/requirements.txt supports (ipython 9 needs 3.11)

say() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}
# version_ge A B: whether dotted version A >= B.
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

# `make test` sets DEEPTUCKER_SETUP_BACKGROUND: the whole of `make setup`
# (this script, then the Makefile's further setup steps, which skip
# themselves in this mode) then runs in the background (log build/setup.log,
# exit status build/setup.rc, pid build/setup.pid) while the checks that need
# no setup (go test, Dockerfile) run; the others wait for build/setup.rc.
if [[ -n "${DEEPTUCKER_SETUP_BACKGROUND:-}" ]]; then
	mkdir -p "$root/build"
	rm -f "$root/build/setup.rc"
	(
		unset DEEPTUCKER_SETUP_BACKGROUND MAKEFLAGS MFLAGS MAKELEVEL
		rc=0
		make -C "$root" --no-print-directory setup >"$root/build/setup.log" 2>&1 || rc=$?
		echo "$rc" >"$root/build/setup.rc"
	) &
	echo $! >"$root/build/setup.pid"
	say "running in the background (log: build/setup.log) while the checks that need no setup run"
	exit 0
fi

# GoNB takes the go.work paths as one comma-separated flag, and the JSON
# below is written by Python: keep the path to plain characters.
case "$root" in
*,* | *\"* | *\\*) die "the clone's path '$root' contains a comma, quote or backslash, which the GoNB kernel cannot use; clone it elsewhere" ;;
esac

# --- Prerequisites -----------------------------------------------------------
want_go="$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' "$root/go.mod")"
command -v go >/dev/null 2>&1 ||
	die "Go is not on PATH. Install Go >= $want_go (https://go.dev/dl/) and put its bin/ directory on PATH."
# Inside the module, `go` honours go.mod's toolchain line (GOTOOLCHAIN=auto may
# switch to a newer toolchain); report its own message when it cannot.
if ! have_go="$(cd "$root" && go env GOVERSION 2>&1)"; then
	die "Go cannot build this module: $have_go"
fi
case "$have_go" in
go[0-9]*)
	version_ge "${have_go#go}" "$want_go" ||
		die "go.mod needs Go >= $want_go, but 'go' is $have_go. Install a newer Go (https://go.dev/dl/)."
	;;
esac
go_bin="$(cd "$root" && go env GOROOT)/bin"

command -v "$python" >/dev/null 2>&1 ||
	die "'$python' is not on PATH. Install Python >= $min_python (Debian/Ubuntu: apt-get install python3 python3-venv), or set PYTHON=/path/to/python3."
have_python="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
version_ge "$have_python" "$min_python" ||
	die "JupyterLab needs Python >= $min_python, but '$python' is $have_python. Set PYTHON to a newer python3."
"$python" -c 'import venv, ensurepip' >/dev/null 2>&1 ||
	die "'$python' lacks the venv/ensurepip modules. Debian/Ubuntu: apt-get install python3-venv (or python$have_python-venv)."

# --- Python virtualenv with JupyterLab, nbconvert, nbclient --------------------
if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
	:
elif [[ -e "$venv" ]]; then
	say "recreating .venv: its python does not run (was the clone moved, or Python upgraded?)"
	"$python" -m venv --clear "$venv"
else
	say "creating .venv with $python ($have_python)"
	"$python" -m venv "$venv"
fi

# The stamp holds what the installed set depends on; pip runs only when it changes.
req="$root/kernel/requirements.txt"
req_stamp="$venv/.deeptucker-requirements"
want_stamp="$(sha256sum "$req" | cut -d' ' -f1) $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])')"
if [[ ! -f "$req_stamp" || "$(cat "$req_stamp")" != "$want_stamp" ]]; then
	say "installing JupyterLab, nbconvert, nbclient (kernel/requirements.txt) into .venv"
	"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet -r "$req" ||
		die "pip could not install kernel/requirements.txt into .venv (see its message above)"
	printf '%s\n' "$want_stamp" >"$req_stamp"
else
	say "Python packages up to date"
fi

# --- Go tools from go.mod's tool directives ---------------------------------
# Every tool is built at the version go.mod pins. gopls is built in its own
# module graph (`go install gopls@version`), as its documentation asks: it uses
# golang.org/x/tools internals, and with this module's newer x/tools (v0.52.0,
# for goimports) gopls v0.23.0 does not compile, so `go install tool` fails.
# The stamp skips the step when go.mod, go.sum and the toolchain are unchanged
# (`go install` would rewrite up-to-date binaries' timestamps).
tools_stamp="$venv/.deeptucker-gotools"
want_tools="$(cat "$root/go.mod" "$root/go.sum" | sha256sum | cut -d' ' -f1) $have_go $(go env GOOS GOARCH | tr '\n' ' ')"
mapfile -t tools < <(cd "$root" && go mod edit -json |
	"$venv/bin/python" -c 'import json,sys; [print(t["Path"]) for t in json.load(sys.stdin).get("Tool") or []]')
tool_bins=()
for t in "${tools[@]}"; do tool_bins+=("$venv/bin/${t##*/}"); done
up_to_date=1
[[ -f "$tools_stamp" && "$(cat "$tools_stamp")" == "$want_tools" ]] || up_to_date=""
for b in "${tool_bins[@]}"; do [[ -x "$b" ]] || up_to_date=""; done
if [[ -z "$up_to_date" ]]; then
	say "building ${tools[*]##*/} (go.mod tool directives) into .venv/bin: a few minutes the first time"
	in_module=()
	for t in "${tools[@]}"; do
		if [[ "$t" == golang.org/x/tools/gopls ]]; then
			v="$(cd "$root" && go list -m -f '{{.Version}}' golang.org/x/tools/gopls)" ||
				die "cannot read gopls's version from go.mod"
			GOBIN="$venv/bin" go install "golang.org/x/tools/gopls@$v" ||
				die "could not build gopls@$v (see the message above)"
		else
			in_module+=("$t")
		fi
	done
	if ((${#in_module[@]})); then
		(cd "$root" && GOBIN="$venv/bin" go install "${in_module[@]}") ||
			die "could not build ${in_module[*]} (see the message above)"
	fi
	printf '%s\n' "$want_tools" >"$tools_stamp"
else
	say "Go tools up to date (${tools[*]##*/})"
fi
for b in "$venv/bin/gonb" "$venv/bin/goimports" "$venv/bin/gopls"; do
	[[ -x "$b" ]] || die "$b is missing: GoNB needs gonb, goimports and gopls; are they all in go.mod's tool directives?"
done

# --- Jupyter kernelspec -------------------------------------------------------
# Inside the venv (sys.prefix), so Jupyter from .venv finds it and nothing in
# the user's home changes. replace_if_changed keeps an unchanged file untouched.
spec_dir="$venv/share/jupyter/kernels/$kernel_name"
mkdir -p "$spec_dir"
# New versions are written outside .venv: even a temporary file in spec_dir
# would change the directory's modification time.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
replace_if_changed() { # replace_if_changed NEW TARGET
	cmp -s "$1" "$2" && return 1
	cp "$1" "$2"
}
changed=""
"$venv/bin/python" - "$root" "$display_name" "$go_bin" >"$scratch/kernel.json" <<'PY'
import json, sys
root, display_name, go_bin = sys.argv[1:4]
json.dump({
    # GoNB's -go_work flag starts each notebook's go.work with this clone and
    # adds the matching go.mod replace rules (what %goworkfix does).
    "argv": [root + "/kernel/gonb-kernel", "--go_work=" + root, "--kernel", "{connection_file}"],
    "display_name": display_name,
    "language": "go",
    "interrupt_mode": "message",
    "env": {"DEEPTUCKER_GO_BIN": go_bin},
    "metadata": {"deeptucker_root": root},
}, sys.stdout, indent=1, sort_keys=True)
print()
PY
replace_if_changed "$scratch/kernel.json" "$spec_dir/kernel.json" && changed=1
gonb_dir="$(cd "$root" && go list -m -f '{{.Dir}}' github.com/janpfeifer/gonb 2>/dev/null)" || gonb_dir=""
if [[ -n "$gonb_dir" && -f "$gonb_dir/internal/kernel/Go_gopher_favicon.svg" ]]; then
	replace_if_changed "$gonb_dir/internal/kernel/Go_gopher_favicon.svg" "$spec_dir/logo-svg.svg" || true
	chmod 644 "$spec_dir/logo-svg.svg"
fi

# JupyterLab settings for this clone's lab: no "news" pop-up over the
# outputs and no update check (both would contact jupyter.org). JupyterLab
# reads overrides.json from <sys.prefix>/share/jupyter/lab/settings.
settings_dir="$venv/share/jupyter/lab/settings"
mkdir -p "$settings_dir"
cat >"$scratch/overrides.json" <<'JSON'
{
  "@jupyterlab/apputils-extension:notification": {
    "fetchNews": "false",
    "checkForUpdates": false
  }
}
JSON
replace_if_changed "$scratch/overrides.json" "$settings_dir/overrides.json" && changed=1

# Jupyter must resolve the name to this spec, not to one of the same name in
# the user's own Jupyter directories.
found="$("$venv/bin/jupyter" kernelspec list --json |
	"$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["kernelspecs"].get(sys.argv[1], {}).get("resource_dir", ""))' "$kernel_name")"
[[ "$(cd "$found" 2>/dev/null && pwd -P)" == "$(cd "$spec_dir" && pwd -P)" ]] ||
	die "Jupyter resolves kernel '$kernel_name' to '${found:-nothing}', not $spec_dir; remove the other one (jupyter kernelspec remove $kernel_name)"

if [[ -n "$changed" ]]; then
	say "kernel \"$display_name\" ($kernel_name) written to ${spec_dir#"$root"/}"
else
	say "kernel \"$display_name\" ($kernel_name) up to date"
fi
say "ready: $have_go, Python $have_python; start JupyterLab with 'make lab'"
