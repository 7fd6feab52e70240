#!/usr/bin/env bash
# Checks that kernel/setup.sh is idempotent: run on a set-up clone, it must
# change no file under .venv (contents, size or modification time). Python's
# own __pycache__ files, written when jupyter runs, are not setup's doing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$root/.venv"
[[ -d "$venv" ]] || { echo "check-setup: no .venv: run 'make setup' first" >&2; exit 2; }

snapshot() {
	find "$venv" \( -name __pycache__ -prune \) -o -printf '%P %s %T@ %m\n' | LC_ALL=C sort
}
before="$(snapshot)"
bash "$root/kernel/setup.sh" >/dev/null
after="$(snapshot)"
if [[ "$before" != "$after" ]]; then
	echo "check-setup: FAILED: a second setup changed .venv:"
	diff <(echo "$before") <(echo "$after") | head -n 20 | sed 's/^/    /'
	exit 1
fi
echo "check-setup: ok: a second setup changed nothing in .venv ($(wc -l <<<"$after") entries)"
