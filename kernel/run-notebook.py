"""Executes one notebook headless and streams what its cells print.

kernel/run-notebooks.sh runs this with .venv's Python, one notebook at a
time: it is nbconvert's --execute (nbclient, errors allowed, the executed
copy written whatever happens), plus a line on stdout for each cell started,
each line a cell prints (CHECK lines, settings, progress text), each figure
or table shown, and each progress update (kernel.Progress) at most once
every --progress-every seconds, so that a 10-minute notebook is not 10
silent minutes. The kernel's own log (GoNB, compiler) goes to stderr.

    run-notebook.py NOTEBOOK.ipynb OUT.ipynb --kernel NAME [--timeout S]
"""

import argparse
import html
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient

TAG = re.compile(r"<[^>]+>")
STYLE = re.compile(r"<(style|script)[^>]*>.*?</\1>", re.S | re.I)


def text_of(data):
    """One line of text for a display: text/plain, else HTML without tags."""
    if "text/plain" in data:
        txt = data["text/plain"]
    elif "text/html" in data:
        txt = html.unescape(TAG.sub(" ", STYLE.sub(" ", data["text/html"])))
    else:
        txt = "[" + ", ".join(sorted(data)) + "]"
    if isinstance(txt, list):
        txt = "".join(txt)
    return " ".join(txt.split())[:160]


class StreamingClient(NotebookClient):
    def __init__(self, nb, name, every, **kw):
        super().__init__(nb, **kw)
        self.name, self.every = name, every
        self.last = {}  # display id -> time of the last line printed
        self.pending = {}  # display id -> latest update not printed yet
        self.cells = sum(1 for c in nb.cells if c.cell_type == "code")
        self.started = time.monotonic()
        self.on_cell_start = self.cell_start

    def say(self, line):
        t = int(time.monotonic() - self.started)
        print(f"  {self.name} [{t // 60}:{t % 60:02d}] {line}", flush=True)

    def flush(self):
        """Prints the last state of each progress block that was held back."""
        for line in self.pending.values():
            self.say("> " + line)
        self.pending.clear()

    def cell_start(self, cell, cell_index):
        self.flush()
        if cell.cell_type != "code":
            return
        n = sum(1 for c in self.nb.cells[: cell_index + 1] if c.cell_type == "code")
        first = cell.source.strip().splitlines()[:1]
        self.say(f"cell {n}/{self.cells}: {first[0][:80] if first else ''}")

    def process_message(self, msg, cell, cell_index):
        try:
            self.report(msg)
        except Exception as e:  # reporting must never break the run
            self.say(f"(progress line lost: {e})")
        return super().process_message(msg, cell, cell_index)

    def report(self, msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            for line in content.get("text", "").splitlines():
                if line.strip():
                    self.say(("! " if content.get("name") == "stderr" else "| ") + line[:200])
        elif kind == "error":
            self.say(f"ERROR {content.get('ename', '')}: {content.get('evalue', '')[:200]}")
        elif kind in ("display_data", "update_display_data", "execute_result"):
            data = content.get("data", {})
            did = (content.get("transient") or {}).get("display_id")
            if did:  # a block updated in place: progress, at most every `every` s
                now = time.monotonic()
                if kind == "update_display_data" and now - self.last.get(did, -1e9) < self.every:
                    self.pending[did] = text_of(data)
                    return
                self.last[did] = now
                self.pending.pop(did, None)
            self.say("> " + text_of(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("output")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell (-1: none)")
    ap.add_argument("--startup-timeout", type=int, default=180)
    ap.add_argument("--progress-every", type=float, default=15.0)
    a = ap.parse_args()
    nb = nbformat.read(a.notebook, as_version=4)
    name = os.path.splitext(os.path.basename(a.notebook))[0]
    client = StreamingClient(
        nb, name, a.progress_every,
        kernel_name=a.kernel,
        timeout=None if a.timeout < 0 else a.timeout,
        startup_timeout=a.startup_timeout,
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(a.notebook))}},
    )
    status = 0
    try:
        client.execute()
    except Exception as e:  # timeout, dead kernel: keep what ran
        print(f"run-notebook: {name}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        client.say(f"STOPPED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        status = 1
    finally:
        client.flush()
        nbformat.write(nb, a.output)
    return status


if __name__ == "__main__":
    sys.exit(main())
