#!/usr/bin/env bash
# Checks kernel/lab.sh (`make lab`) end to end, each case against a real
# JupyterLab with a private, empty JUPYTER_CONFIG_DIR:
#   1. it starts, picks the next free port when 8888 is taken, and prints a
#      URL whose token works while a request without it is refused;
#   2. the token is in neither the server's environment (which kernels and
#      terminals inherit) nor its command line, and its file is gone;
#   3. the lab settings turn JupyterLab's news and update check off;
#   4. a busy DEEPTUCKER_LAB_PORT fails with a message naming the variable,
#      before any URL is printed;
#   5. a user config with an empty token, or another token, is refused with
#      a clear message, no URL, and no server left running.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
py="$root/.venv/bin/python"
[[ -x "$py" ]] || { echo "check-lab: no .venv: run 'make setup' first" >&2; exit 2; }
work="$(mktemp -d)"
holders=()
lab=""
cleanup() {
	[[ -n "$lab" ]] && kill -TERM "$lab" 2>/dev/null && wait "$lab" 2>/dev/null
	for h in "${holders[@]}"; do kill "$h" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() {
	echo "check-lab: FAILED: $*"
	fails=$((fails + 1))
}
pass() { echo "check-lab: ok: $*"; }

# hold_port PORT: keep PORT busy (listening) until the end; fails if taken.
hold_port() {
	"$py" -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); print("held",flush=True); time.sleep(600)' "$1" >"$work/hold.$1" 2>&1 &
	holders+=($!)
	for _ in $(seq 50); do
		grep -q held "$work/hold.$1" 2>/dev/null && return 0
		kill -0 "${holders[-1]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# free_port: a port the kernel says is free now.
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_lab NAME [VAR=VALUE...]: runs lab.sh in the background with a fresh
# config dir, output to $work/NAME.out; waits until it prints the URL or exits.
start_lab() {
	local name="$1"
	shift
	mkdir -p "$work/$name.config"
	env -u JUPYTER_TOKEN JUPYTER_CONFIG_DIR="$work/$name.config" "$@" \
		bash "$root/kernel/lab.sh" >"$work/$name.out" 2>&1 &
	lab=$!
	for _ in $(seq 240); do
		grep -q 'Open:' "$work/$name.out" && return 0
		kill -0 "$lab" 2>/dev/null || { wait "$lab" || true; lab=""; return 1; }
		sleep 0.5
	done
	return 1
}
stop_lab() {
	[[ -n "$lab" ]] && { kill -TERM "$lab" 2>/dev/null; wait "$lab" 2>/dev/null || true; }
	lab=""
}
http_status() { # URL [TOKEN]
	"$py" - "$@" <<'PY'
import sys, urllib.request, urllib.error
h = {"Authorization": "token " + sys.argv[2]} if len(sys.argv) > 2 else {}
try:
    print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers=h), timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}

# --- 1-3: a normal start, with 8888 taken when we can take it -------------
held8888=""
hold_port 8888 && held8888=1
if start_lab normal; then
	url="$(sed -n 's/^ *Open: *//p' "$work/normal.out" | head -n1)"
	base="${url%%/lab?token=*}"
	token="${url#*token=}"
	port="${base##*:}"
	if [[ -n "$held8888" ]]; then
		[[ "$port" != 8888 ]] && grep -q 'port 8888 is in use' "$work/normal.out" &&
			pass "8888 taken: lab said so and took $port" || fail "8888 taken, but lab used port $port"
	fi
	[[ "$(http_status "$base/api/status")" == 403 ]] && pass "no token: 403" || fail "a request without the token was not refused"
	[[ "$(http_status "$base/api/status" "$token")" == 200 ]] && pass "the printed token logs in" || fail "the printed token is refused"
	server="$(pgrep -P "$lab" | head -n1 || true)"
	if [[ -n "$server" && -r "/proc/$server/environ" ]]; then
		if tr '\0' '\n' <"/proc/$server/environ" | grep -q -e '^JUPYTER_TOKEN=' -e "$token" ||
			tr '\0' ' ' <"/proc/$server/cmdline" | grep -q -- "$token"; then
			fail "the token is in the server's environment or command line (kernels would inherit it)"
		else
			pass "the token is in neither the server's environment nor its command line"
		fi
		tf="$(tr '\0' '\n' <"/proc/$server/environ" | sed -n 's/^JUPYTER_TOKEN_FILE=//p')"
		[[ -n "$tf" && ! -e "$tf" ]] && pass "the token file is gone" || fail "token file '$tf' still exists"
	else
		fail "cannot find the server process under lab.sh (pid $lab)"
	fi
	settings="$("$py" - "$base" "$token" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/lab/api/settings/@jupyterlab/apputils-extension:notification",
                             headers={"Authorization": "token " + sys.argv[2]})
# overrides.json changes the schema's defaults, which the page applies.
props = json.load(urllib.request.urlopen(req, timeout=10))["schema"]["properties"]
print(props["fetchNews"].get("default"), props["checkForUpdates"].get("default"))
PY
)" || settings="unreadable"
	[[ "$settings" == "false False" ]] && pass "news and update check off in the lab settings" ||
		fail "lab settings fetchNews/checkForUpdates = '$settings', want 'false False' (kernel/setup.sh writes overrides.json)"
	stop_lab
else
	fail "lab did not start; its output:"
	sed 's/^/    /' "$work/normal.out" | tail -n 20
fi

# --- 4: a busy DEEPTUCKER_LAB_PORT ------------------------------------------
busy="$(free_port)"
if hold_port "$busy"; then
	if start_lab busy DEEPTUCKER_LAB_PORT="$busy"; then
		fail "lab started although DEEPTUCKER_LAB_PORT=$busy is busy"
		stop_lab
	elif grep -q "DEEPTUCKER_LAB_PORT=$busy" "$work/busy.out" && ! grep -q 'token=' "$work/busy.out"; then
		pass "busy DEEPTUCKER_LAB_PORT: $(grep -m1 'error' "$work/busy.out")"
	else
		fail "busy DEEPTUCKER_LAB_PORT: unclear message:"; sed 's/^/    /' "$work/busy.out"
	fi
fi

# --- 5: user configs that would turn the token off, or replace it -----------
for c in "empty|c.IdentityProvider.token = ''|turns token authentication off" \
	"legacy-empty|c.ServerApp.token = ''|turns token authentication off" \
	"other|c.IdentityProvider.token = 'not-the-printed-one'|sets its own token"; do
	IFS='|' read -r name line want <<<"$c"
	mkdir -p "$work/$name.config"
	printf '%s\n' "$line" >"$work/$name.config/jupyter_server_config.py"
	if start_lab "$name" DEEPTUCKER_LAB_PORT="$(free_port)"; then
		fail "config '$line': lab started and printed a URL"
		stop_lab
	elif grep -q "$want" "$work/$name.out" && ! grep -q 'Open:' "$work/$name.out"; then
		pass "config '$line' refused: $want"
	else
		fail "config '$line': want an error saying '$want'; got:"; sed 's/^/    /' "$work/$name.out" | tail -n 8
	fi
done
left="$(pgrep -f "JUPYTER_CONFIG_DIR=$work" || true)"
[[ -z "$left" ]] || fail "servers left running: $left"

if ((fails > 0)); then
	echo "check-lab: $fails check(s) FAILED"
	exit 1
fi
echo "check-lab: all checks passed"
