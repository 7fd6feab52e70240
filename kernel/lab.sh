#!/usr/bin/env bash
# Starts JupyterLab on notebooks/ with the "Go (deep Tucker)" kernel (`make lab`
# runs setup first, then this). It binds to 127.0.0.1 with token
# authentication, which cannot be turned off here: it checks, once the server
# answers and before it prints the URL, that a request without the token is
# refused and one with it accepted, and stops otherwise (e.g. a Jupyter config
# file of yours that sets an empty or another token).
#
# The token reaches the server through a private file (JUPYTER_TOKEN_FILE),
# deleted once the server has read it: it is in no process environment, so
# notebook kernels and terminals do not inherit it, and not on the command
# line, so `ps` does not show it.
#
# Environment:
#   DEEPTUCKER_LAB_PORT  port; it must be free. Unset: the first free port
#                        from 8888 on.
#   DEEPTUCKER_LAB_IP    address to bind (default 127.0.0.1; the Docker image
#                        uses 0.0.0.0 inside the container: publish it with
#                        -p 127.0.0.1:8888:8888)
#   JUPYTER_TOKEN        the token (default: a fresh random one); never empty
#   GOMLX_BACKEND        GoMLX backend (unset: XLA's CPU plugin when installed, else "go")
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
py="$venv/bin/python"
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}
[[ -x "$venv/bin/jupyter" ]] || die "JupyterLab is not installed: run 'make setup' first"

ip="${DEEPTUCKER_LAB_IP:-127.0.0.1}"
host="$ip"
[[ "$ip" == 0.0.0.0 || "$ip" == "::" ]] && host=127.0.0.1

# port_free PORT: whether PORT can be bound on $ip now.
port_free() {
	"$py" - "$ip" "$1" <<'PY'
import socket, sys
ip, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
try:
    s.bind((ip, port))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
if [[ -n "${DEEPTUCKER_LAB_PORT:-}" ]]; then
	port="$DEEPTUCKER_LAB_PORT"
	[[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) ||
		die "DEEPTUCKER_LAB_PORT='$port' is not a port number (1-65535)"
	port_free "$port" ||
		die "port $port on $ip is in use (DEEPTUCKER_LAB_PORT=$port): stop what uses it, or pick another, e.g. DEEPTUCKER_LAB_PORT=$((port + 1)) make lab"
else
	port=""
	for p in $(seq 8888 8987); do
		if port_free "$p"; then
			port="$p"
			break
		fi
	done
	[[ -n "$port" ]] || die "ports 8888-8987 on $ip are all in use: set DEEPTUCKER_LAB_PORT to a free port"
	((port == 8888)) || echo "lab: port 8888 is in use; using $port (set DEEPTUCKER_LAB_PORT to choose)"
fi

if [[ -n "${JUPYTER_TOKEN+set}" && -z "$JUPYTER_TOKEN" ]]; then
	die "JUPYTER_TOKEN is set but empty: token authentication cannot be turned off; unset it to get a random token"
fi
token="${JUPYTER_TOKEN:-$("$py" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
unset JUPYTER_TOKEN JUPYTER_TOKEN_FILE
secret_dir="$(mktemp -d)"
chmod 700 "$secret_dir"
(umask 077 && printf '%s' "$token" >"$secret_dir/token")
server=""
cleanup() {
	rm -rf "$secret_dir"
	if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export JUPYTER_PATH="$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
extra=()
if [[ "$(id -u)" == 0 ]]; then
	# Jupyter refuses root without this flag; containers and CI machines run as root.
	echo "lab: running as root (--allow-root); prefer a normal user where you can"
	extra+=(--allow-root)
fi

JUPYTER_TOKEN_FILE="$secret_dir/token" "$venv/bin/jupyter" lab \
	--no-browser \
	--ServerApp.ip="$ip" \
	--ServerApp.port="$port" \
	--ServerApp.port_retries=0 \
	--ServerApp.root_dir="$root/notebooks" \
	--MappingKernelManager.default_kernel_name=deeptucker-go \
	"${extra[@]}" &
server=$!

# Wait until the server answers, then check that the token is what guards it.
verdict="$("$py" - "http://$host:$port" "$secret_dir/token" "$server" <<'PY'
import os, sys, time, urllib.request, urllib.error
base, token_file, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
token = open(token_file).read()
def status(headers):
    req = urllib.request.Request(base + "/api/status", headers=headers)
    try:
        return urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
deadline = time.monotonic() + 120
while True:
    try:
        anon = status({})
        break
    except (urllib.error.URLError, ConnectionError, OSError):
        try:
            os.kill(pid, 0)
        except OSError:
            print("died"); sys.exit()
        if time.monotonic() > deadline:
            print("timeout"); sys.exit()
        time.sleep(0.5)
if anon < 400:
    print("open")
elif status({"Authorization": "token " + token}) != 200:
    print("othertoken")
else:
    print("ok")
PY
)"
case "$verdict" in
ok) ;;
died) server=""; die "JupyterLab exited before serving on $ip:$port (its messages are above); if the port was taken meanwhile, run again or set DEEPTUCKER_LAB_PORT" ;;
timeout) die "JupyterLab did not answer on http://$host:$port within 120 s" ;;
open) die "a Jupyter config file of yours turns token authentication off (an empty IdentityProvider.token or ServerApp.token; see 'jupyter --paths', config section): this script does not start an unauthenticated server. Remove that setting, or run with JUPYTER_CONFIG_DIR set to an empty directory." ;;
othertoken) die "a Jupyter config file of yours sets its own token (IdentityProvider.token or ServerApp.token), so the URL printed here would not log in; remove that setting (see 'jupyter --paths', config section), or pass your token as JUPYTER_TOKEN." ;;
*) die "could not check the server's authentication: '$verdict'" ;;
esac
rm -f "$secret_dir/token" # read at start-up; now nowhere but in the server

cat <<EOF

  JupyterLab for deep Tucker, GoMLX backend "${GOMLX_BACKEND:-default: xla:cpu if installed, else go}", notebooks in notebooks/
  Open:  http://$host:$port/lab?token=$token
  Stop:  Ctrl-C

EOF
wait "$server"
