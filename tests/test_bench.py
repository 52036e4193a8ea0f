"""`make bench` runs end to end (small sizes) and prints its JSON object and table."""
import json
import subprocess
import sys
from pathlib import Path


def test_bench_quick_prints_every_measure():
    path = Path(__file__).parents[1] / "tools" / "bench.py"
    out = subprocess.run([sys.executable, str(path), "--quick"], check=True, capture_output=True,
                         text=True, timeout=300).stdout.splitlines()
    result = json.loads(out[0])
    for key in ("full_comparison_points_per_s", "vectorized_over_loop_ratio", "overflow_points_per_s",
                "peak_rss_mb", "import_s", "dask_points_per_s", "dask_peak_rss_mb"):
        assert result[key] > 0, key
    assert "| full_comparison_points_per_s |" in "\n".join(out)
