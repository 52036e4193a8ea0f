"""`make bench` runs and reports every case as a ratio to its in-run baseline."""
import importlib.util
import pathlib
import re


def test_bench_reports_ratios(capsys):
    path = pathlib.Path(__file__).parents[1] / "tools" / "bench.py"
    spec = importlib.util.spec_from_file_location("bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--repeat", "1"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("baseline: evaluate chatbot (routing)")
    rows = [re.search(r"\s(\d+\.\d\d)\s+(\d+\.\d\d) ms$", line) for line in out[2:]]
    assert len(rows) >= 12 and all(rows)
    assert all(float(r.group(1)) > 0 for r in rows)
