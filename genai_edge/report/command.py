"""``genai-edge report``: the command line of the report pipeline."""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path

from .pipeline import Terminated, run_reports

EXIT_ERROR = 2                   # one-line errors (as for every genai-edge command)
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {value}")
    return value


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``genai-edge report`` on an ``add_subparsers()`` object."""
    p = subparsers.add_parser(
        "report", help="run the notebooks for scenarios into self-contained HTML reports",
        description="Run every notebook for the scenarios with papermill into "
                    "OUT/<scenario>/<notebook>.html and OUT/index.html. Up-to-date reports "
                    "are skipped; a failing notebook keeps the previous report. With --set "
                    "the reports go to OUT/<scenario>--<key>=<value>/. A second run into the "
                    "same OUT waits for the first. Ctrl-C or SIGTERM stops every notebook "
                    "(exit code 130 or 143) and keeps the reports already built.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every built-in scenario")
    which.add_argument("--scenario", action="append", metavar="NAME_OR_FILE",
                       help="a built-in scenario name or a YAML file (repeatable)")
    p.add_argument("--set", action="append", default=[], type=_key_value, metavar="KEY=VALUE",
                   dest="overrides", help="override a scenario field (repeatable)")
    p.add_argument("--out", default="reports", type=Path, metavar="DIR",
                   help="output folder (default: reports)")
    p.add_argument("--jobs", "-j", type=_jobs_arg, default=None, metavar="N",
                   help="notebooks run in parallel (default: $JOBS, else the number of CPUs)")
    p.add_argument("--force", action="store_true", help="rebuild even up-to-date reports")
    p.add_argument("--notebook", action="append", metavar="PATH",
                   help="only this notebook, folder, or shipped notebook by name, e.g. comparison "
                        "(repeatable; default: every shipped notebook)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="per-cell execution timeout (default 600)")
    p.set_defaults(func=report_command)
    return p


def _raise_terminated(signum, _frame):
    raise Terminated(signum)


@contextlib.contextmanager
def _sigterm_raises():
    old = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``genai-edge report``.

    0: every report is good; 1: a notebook failed; 2: a one-line error
    (scenario, notebook or output folder; nothing half-written is left);
    130 / 143: stopped by Ctrl-C / SIGTERM.
    """
    try:
        with _sigterm_raises():
            summary = run_reports(
                None if args.all else args.scenario, args.out, overrides=dict(args.overrides),
                notebooks=args.notebook, jobs=args.jobs, force=args.force,
                timeout=args.timeout, processes=True)
    except KeyboardInterrupt:
        print("genai-edge report: interrupted (Ctrl-C); reports already built are kept",
              file=sys.stderr)
        return EXIT_SIGINT
    except Terminated:
        print("genai-edge report: stopped (SIGTERM); reports already built are kept",
              file=sys.stderr)
        return EXIT_SIGTERM
    except OSError as exc:
        where = exc.filename if exc.filename is not None else args.out
        print(f"genai-edge report: error: cannot write {where}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_ERROR
    return summary.exit_code
