"""Worker processes that build reports, and stopping them with everything they started.

Each worker is a long-lived ``python -c`` process in its own session (so a
Ctrl-C in the terminal reaches only the process that started it). Tasks and
results travel as JSON lines over the worker's stdin and its original
stdout; the worker sends everything else it (or a kernel) prints to stderr.
Unlike ``multiprocessing`` this never re-imports the caller's ``__main__``
and never forks a process with threads.

`Worker.kill` stops a worker and every process below it (its kernels), so
that nothing keeps running, or writing, after a run is stopped.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .execute import ReportResult, _Task, run_task
from .notebooks import PACKAGE_DIR

KILL_GRACE_S = 3.0               # kernels get this long to exit after SIGTERM, then SIGKILL


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process (``/proc``, else ``ps``)."""
    pairs: list[tuple[int, int]] = []
    proc = Path("/proc")
    if proc.is_dir():
        for d in proc.iterdir():
            if d.name.isdigit():
                try:
                    fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                pairs.append((int(d.name), int(fields[1])))
    else:
        listing = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True,
                                 text=True, check=False).stdout
        pairs = [(int(a), int(b)) for a, b in (ln.split() for ln in listing.splitlines() if ln.strip())]
    children: dict[int, list[int]] = {}
    for pid, ppid in pairs:
        children.setdefault(ppid, []).append(pid)
    return children


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...)."""
    children, found, todo = _children(), [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):        # a zombie has finished
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _signal_all(pids: Sequence[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


class Worker:
    """A worker process building reports one at a time."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.proc: subprocess.Popen | None = None
        self.stopped = False
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        # the worker imports the same genai_edge as this process
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_DIR.parent), env.get("PYTHONPATH", "")) if p)
        # kernel connection files and other temporary files go with the scratch folder,
        # even when a kernel is killed
        for var, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("TMPDIR", "tmp")):
            (self.scratch / sub).mkdir(exist_ok=True)
            env[var] = str(self.scratch / sub)
        with self._lock:
            if self.stopped:
                raise RuntimeError("stopped")
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from genai_edge.report.workers import serve; serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                env=env, start_new_session=True)
            return self.proc

    def run(self, task: _Task) -> ReportResult:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            proc = self._start()
        assert proc.stdin and proc.stdout
        try:
            proc.stdin.write(json.dumps(task.to_json()) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (OSError, ValueError):
            line = ""
        if line:
            return ReportResult.from_json(json.loads(line))
        code = proc.wait()
        self.proc = None
        return ReportResult(task.scenario, task.notebook.stem, "failed",
                            error=f"worker process died (exit code {code})")

    def kill(self) -> None:
        """Stop the worker now, and every process it started (kernels)."""
        with self._lock:
            self.stopped = True
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGSTOP)              # starts nothing more from here
        below = descendants(proc.pid)
        proc.kill()
        proc.wait()
        _signal_all(below, signal.SIGTERM)
        deadline = time.monotonic() + KILL_GRACE_S
        while any(map(_alive, below)) and time.monotonic() < deadline:
            time.sleep(0.05)
        _signal_all([p for p in below if _alive(p)], signal.SIGKILL)

    def close(self) -> None:
        """Let an idle worker exit (end of its input); kill it if it does not."""
        with self._lock:
            self.stopped = True
            proc = self.proc
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.close()                             # type: ignore[union-attr]
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """Stop this worker and its kernels as soon as the run that started it is gone (e.g. killed)."""
    while os.getppid() == parent:
        time.sleep(every_s)
    _signal_all(descendants(os.getpid()), signal.SIGKILL)
    os._exit(1)


def serve() -> None:
    """Worker main loop: one JSON task per stdin line, one JSON result per line back."""
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                  # stray prints (kernels, libraries) go to stderr
    for line in sys.stdin:
        if line.strip():
            result = run_task(_Task.from_json(json.loads(line)))
            protocol.write(json.dumps(result.to_json()) + "\n")
            protocol.flush()


def run_in_workers(tasks: Sequence[_Task], jobs: int, scratch: Path,
                   done: Callable[[_Task, ReportResult], None]) -> None:
    """Run ``tasks`` in ``jobs`` worker processes; ``done(task, result)`` runs in this thread.

    Any exception here (Ctrl-C, SIGTERM turned into an exception, an error
    raised by ``done``) kills every worker and its kernels before it
    propagates: no task starts after it and nothing keeps running.
    """
    if not tasks:
        return
    todo: queue.SimpleQueue[_Task] = queue.SimpleQueue()
    for t in tasks:
        todo.put(t)
    results: queue.SimpleQueue = queue.SimpleQueue()
    stopping = threading.Event()
    workers = [Worker(scratch) for _ in range(min(jobs, len(tasks)))]

    def loop(worker: Worker) -> None:
        while not stopping.is_set():
            try:
                task = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results.put((task, worker.run(task)))
            except Exception as exc:  # noqa: BLE001 - e.g. the worker could not start
                results.put((task, ReportResult(task.scenario, task.notebook.stem, "failed",
                                                error=f"worker process: {exc}")))

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        for _ in tasks:
            while True:
                try:
                    task, result = results.get(timeout=0.2)
                    break
                except queue.Empty:
                    continue
            done(task, result)
    except BaseException:
        stopping.set()
        for w in workers:
            w.kill()
        raise
    finally:
        stopping.set()
        for w in workers:
            w.close()
        for t in threads:
            t.join(timeout=5)
