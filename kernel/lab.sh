#!/usr/bin/env bash
# Starts JupyterLab on notebooks/ with the "Go (deep Tucker)" kernel (`make lab`
# runs setup first, then this). It binds to 127.0.0.1 with token
# authentication, which cannot be turned off here, and prints the URL.
#
# Environment:
#   DEEPTUCKER_LAB_PORT  port (default 8888; fails if taken, so the URL is right)
#   DEEPTUCKER_LAB_IP    address to bind (default 127.0.0.1; the Docker image
#                        uses 0.0.0.0 inside the container: publish it with
#                        -p 127.0.0.1:8888:8888)
#   JUPYTER_TOKEN        the token (default: a fresh random one); never empty
#   GOMLX_BACKEND        GoMLX backend (default "go", the pure-Go one)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}
[[ -x "$venv/bin/jupyter" ]] || die "JupyterLab is not installed: run 'make setup' first"

ip="${DEEPTUCKER_LAB_IP:-127.0.0.1}"
port="${DEEPTUCKER_LAB_PORT:-8888}"
[[ "$port" =~ ^[0-9]+$ ]] || die "DEEPTUCKER_LAB_PORT='$port' is not a port number"
if [[ -n "${JUPYTER_TOKEN+set}" && -z "$JUPYTER_TOKEN" ]]; then
	die "JUPYTER_TOKEN is set but empty: token authentication cannot be turned off; unset it to get a random token"
fi
# Passed through the environment, not the command line, so `ps` does not show it.
JUPYTER_TOKEN="${JUPYTER_TOKEN:-$("$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
export JUPYTER_TOKEN
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
export JUPYTER_PATH="$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"

extra=()
if [[ "$(id -u)" == 0 ]]; then
	# Jupyter refuses root without this flag; containers and CI machines run as root.
	echo "lab: running as root (--allow-root); prefer a normal user where you can"
	extra+=(--allow-root)
fi

host="$ip"
[[ "$ip" == 0.0.0.0 || "$ip" == "::" ]] && host=127.0.0.1
url="http://$host:$port/lab?token=$JUPYTER_TOKEN"
cat <<EOF

  JupyterLab for deep Tucker, GoMLX backend "$GOMLX_BACKEND", notebooks in notebooks/
  Open:  $url
  Stop:  Ctrl-C

EOF
exec "$venv/bin/jupyter" lab \
	--no-browser \
	--ServerApp.ip="$ip" \
	--ServerApp.port="$port" \
	--ServerApp.port_retries=0 \
	--ServerApp.root_dir="$root/notebooks" \
	--MappingKernelManager.default_kernel_name=deeptucker-go \
	"${extra[@]}"
