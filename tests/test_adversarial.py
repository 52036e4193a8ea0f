"""Malformed and adversarial scenario files and flag values.

Each case must fail fast with a non-zero exit status and exactly one line on
stderr that names the file (where there is one) and the key (where there is
one); no traceback, no output files left behind. Most cases run in-process
through ``cli.main``; the ones about processes (FIFO, pipes, signals, file
types, interpreter limits) run as ``python -m genai_edge`` subprocesses.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from genai_edge import cli, paradigms

BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9 if p else ['lol'] * 9)}]\n"
               for p, c in zip([None, *"abcdefgh"], "abcdefghi"))

# (id, file text or bytes, key the message must name or None)
FILES = [
    ("empty", b"", None),
    ("only-comment", b"# nothing here\n", None),
    ("list-top-level", b"- 1\n- 2\n", None),
    ("scalar-top-level", b"42\n", None),
    ("bom", b"\xef\xbb\xbfname: x\n", None),
    ("latin-1", b"name: caf\xe9\n", None),
    ("utf-16", "name: x\n".encode("utf-16"), None),
    ("nul-byte", b"name: a\x00b\n", None),
    ("tab-indent", b"workload:\n\tusers: 5\n", "line 2, column 1"),
    ("unclosed-brace", b"workload: {users: 5\n", "line 2"),
    ("duplicate-key", b"workload:\n  users: 5\n  users: 6\n", "users"),
    ("non-text-key", b"? [a, b]\n: 1\n", "line 1"),
    ("400-digit-int", b"workload:\n  users: " + b"9" * 400 + b"\n", "workload.users"),
    ("1e308", b"workload:\n  users: 1.0e+308\n", "workload.users"),
    ("inf", b"workload:\n  users: .inf\n", "workload.users"),
    ("nan", b"network:\n  cloud_distance_km: .nan\n", "network.cloud_distance_km"),
    ("negative-zero", b"workload:\n  users: -0.0\n", "workload.users"),
    ("yes-as-number", b"workload:\n  users: yes\n", "workload.users"),
    ("text-as-number", b"cloud:\n  batch: many\n", "cloud.batch"),
    ("list-as-number", b"workload:\n  users: [1, 2]\n", "workload.users"),
    ("date-as-number", b"workload:\n  users: 2024-01-01\n", "workload.users"),
    ("number-as-description", b"description: 5\n", "description"),
    ("list-as-name", b"name: [1]\n", "name"),
    ("number-as-model", b"cloud:\n  model: 5\n", "cloud.model"),
    ("section-not-mapping", b"workload: 5\n", "workload"),
    ("unknown-section", b"netwrk: {}\n", "netwrk"),
    ("unknown-key", b"workload:\n  usrs: 5\n", "workload.usrs"),
    ("batch-too-large", b"cloud:\n  batch: 100000000\n", "cloud.batch"),
    ("prompt-too-long", b"workload:\n  prompt_tokens: 1000000000\n", "workload.prompt_tokens"),
    ("distance-beyond-earth", b"network:\n  cloud_distance_km: 1000000\n", "network.cloud_distance_km"),
    ("hops-beyond-ttl", b"network:\n  mec_hops: 1000\n", "network.mec_hops"),
    ("fractional-replicas", b"cloud:\n  replicas: 2.5\n", "cloud.replicas"),
    ("users-beyond-earth", b"workload:\n  users: 1e12\n", "workload.users"),
    ("device-steps-too-many", b"device:\n  diffusion_steps: 5000\n", "device.diffusion_steps"),
    ("deep-nesting", b"description: " + b"[" * 5000 + b"]" * 5000 + b"\n", "line 1"),
    ("alias-bomb", BOMB.encode(), "line 2"),
    ("alias-in-description", b"x: &a hello\ndescription: *a\n", "line 2"),
]

# (id, argv, key the message must name or None); SCN stands for a written scenario file
FLAGS = [
    ("set-1e308", ["compare", "--scenario", "chatbot", "--set", "workload.users=1e308"], "workload.users"),
    ("set-no-equals", ["compare", "--scenario", "chatbot", "--set", "workload.users"], "workload.users"),
    ("set-unknown-key", ["compare", "--scenario", "chatbot", "--set", "workload.usrs=5"], "workload.usrs"),
    ("set-no-section", ["compare", "--scenario", "chatbot", "--set", "users=5"], "workload.users"),
    ("set-twice", ["compare", "--scenario", "chatbot", "--set", "workload.users=5",
                   "--set", "workload.users=6"], "workload.users"),
    ("set-nan", ["compare", "--scenario", "chatbot", "--set", "workload.users=nan"], "workload.users"),
    ("set-inf", ["compare", "--scenario", "chatbot", "--set", "cloud.batch=inf"], "cloud.batch"),
    ("set-yes", ["compare", "--scenario", "chatbot", "--set", "workload.users=yes"], "workload.users"),
    ("set-huge-batch", ["compare", "--scenario", "chatbot", "--set", "cloud.batch=99999999"], "cloud.batch"),
    ("set-device-steps", ["compare", "--scenario", "text_to_image", "--set", "device.diffusion_steps=-1"],
     "device.diffusion_steps"),
    ("unknown-builtin", ["compare", "--scenario", "chatbto"], "chatbto"),
    ("missing-file", ["compare", "--scenario", "nope.yaml"], "nope.yaml"),
    ("directory", ["compare", "--scenario", "folder.yaml"], "folder.yaml"),
    ("flag-batch-huge", ["estimate", "--model", "llama-3.1-8b", "--hardware", "l4-24gb",
                         "--batch", "99999999999"], "--batch"),
    ("flag-negative-tokens", ["estimate", "--model", "llama-3.1-8b", "--hardware", "l4-24gb",
                              "--prompt-tokens", "-5"], "--prompt-tokens"),
    ("flag-text-tokens", ["estimate", "--model", "llama-3.1-8b", "--hardware", "l4-24gb",
                          "--output-tokens", "many"], "--output-tokens"),
    ("flag-compute-nan", ["scaling", "optimal", "--compute", "nan"], "--compute"),
    ("flag-compute-inf", ["scaling", "optimal", "--compute", "inf"], "--compute"),
    ("flag-gpu-hours-overflow", ["energy", "training", "--hardware", "a100-sxm4-80gb",
                                 "--gpu-hours", "1e400"], "--gpu-hours"),
    ("flag-units-inf", ["reliability", "fit", "--failures", "3", "--units", "inf", "--hours", "10"], "units"),
    ("unknown-command", ["bogus"], "bogus"),
]


def _check(code, out: str, err: str, file: str | None, key: str | None) -> None:
    assert code not in (0, None), (code, err)
    assert "Traceback" not in out + err
    assert err.endswith("\n") and err.count("\n") == 1 and err.strip(), repr(err)
    if file:
        assert file in err, err
    if key:
        assert key in err, err


def _in_process(capsys, argv):
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _subprocess(argv, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "genai_edge", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=10, **kw)


@pytest.mark.parametrize("case, content, key", FILES, ids=[c[0] for c in FILES])
def test_malformed_scenario_file(tmp_path, monkeypatch, capsys, case, content, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "case.yaml").write_bytes(content)
    code, out, err = _in_process(capsys, ["compare", "--scenario", "case.yaml"])
    _check(code, out, err, "case.yaml", key)
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]


@pytest.mark.parametrize("case, argv, key", FLAGS, ids=[c[0] for c in FLAGS])
def test_bad_flag_or_override(tmp_path, monkeypatch, capsys, case, argv, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.yaml").mkdir()
    code, out, err = _in_process(capsys, argv)
    # a --set that is not key=value, or given twice, is a flag error: it names the flag, not a file
    file = next((a for a in argv if a.endswith(".yaml")), "chatbot.yaml" if "--set" in argv and
                "chatbot" in argv and case not in ("set-no-equals", "set-twice") else None)
    _check(code, out, err, file, key)
    assert code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["folder.yaml"]


def test_file_larger_than_the_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.yaml").write_text("# padding\n" * 110_000)
    code, out, err = _in_process(capsys, ["compare", "--scenario", "big.yaml"])
    _check(code, out, err, "big.yaml", "1 MiB")


# ------------------------------------------------------------ in subprocesses
@pytest.mark.parametrize("make, name", [
    (lambda p: os.mkfifo(p), "fifo.yaml"),
    (lambda p: p.mkdir(), "dir.yaml"),
    (lambda p: None, "missing.yaml"),
    (lambda p: p.write_text(BOMB), "bomb.yaml"),
    (lambda p: p.write_text("description: " + "[" * 100_000 + "]" * 100_000), "deep.yaml"),
    (lambda p: p.write_bytes(b"workload:\n\tusers: 5\n"), "tab.yaml"),
], ids=["fifo", "directory", "missing", "alias-bomb", "deep-100k", "tab"])
def test_file_types_and_bombs_in_a_fresh_process(tmp_path, make, name):
    if name == "fifo.yaml" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    make(tmp_path / name)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = _subprocess(["compare", "--scenario", name], tmp_path)
    _check(r.returncode, r.stdout, r.stderr, name, None)
    assert r.returncode == 2 and r.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_override_out_of_range_in_a_fresh_process(tmp_path):
    r = _subprocess(["compare", "--scenario", "chatbot", "--set", "workload.users=1e308"], tmp_path)
    _check(r.returncode, r.stdout, r.stderr, "chatbot.yaml", "workload.users")
    assert "[1, 10,000,000,000]" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, reader", [
    (["validate", "--json"], "head -1"),
    (["compare", "--scenario", "chatbot", "--json"], "head -c 10"),
], ids=["validate-json-head-1", "compare-json-head-c-10"])
def test_closed_pipe_exits_quietly(tmp_path, argv, reader):
    cmd = " ".join([sys.executable, "-m", "genai_edge", *argv]) + f" | {reader} > /dev/null; " \
          "echo ${PIPESTATUS[0]} >&2"
    r = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, timeout=20)
    assert "Traceback" not in r.stderr and "Broken pipe" not in r.stderr, r.stderr
    assert r.stderr.strip() in ("0", "141"), r.stderr


def test_sigint_is_one_line_and_exit_130(tmp_path):
    # a real SIGINT, delivered while the command runs
    code = ("import os, signal, sys\n"
            "from genai_edge import cli, paradigms\n"
            "paradigms.evaluate = lambda *a, **k: signal.raise_signal(signal.SIGINT)\n"
            "sys.exit(cli.main(['compare', '--scenario', 'chatbot']))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=10)
    assert r.returncode == 130 and r.stdout == ""
    assert r.stderr == "genai-edge compare: interrupted\n"


def test_keyboard_interrupt_in_any_command(monkeypatch, capsys):
    def interrupt(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(paradigms, "evaluate", interrupt)
    code, out, err = _in_process(capsys, ["compare", "--scenario", "chatbot"])
    assert (code, out, err) == (130, "", "genai-edge compare: interrupted\n")


# ------------------------------------------------------------ model functions
@pytest.mark.parametrize("call, name", [
    (lambda: __import__("genai_edge").network.propagation_delay("5"), "distance"),
    (lambda: __import__("genai_edge").network.serialization_delay(["1", "2"], 1e6), "size"),
    (lambda: __import__("genai_edge").energy.co2e_g(b"5", 0.4), None),
])
def test_model_functions_refuse_text(call, name):
    with pytest.raises(ValueError, match=(name or "") + ".*text"):
        call()
