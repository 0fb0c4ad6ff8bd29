"""The reliability corpus in its fast form (bench/reliability.py --fast), as CI runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edgetts import available_backends

BENCH = Path(__file__).parents[1] / "bench" / "reliability.py"


@pytest.mark.slow
def test_the_fast_reliability_corpus_passes_on_every_backend() -> None:
    backends = [b for b in ("onnxruntime", "openvino") if b in available_backends()]
    done = subprocess.run(
        [sys.executable, str(BENCH), "--fast", "--backends", *backends],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    failed = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("|")
        and (
            line.rstrip(" |").endswith(("FAIL", "CRASH", "HANG"))
            or "LOSS" in line
            or "UNEXPECTED" in line
            or "WRONG MESSAGE" in line
        )
    ]
    assert done.returncode == 0, "\n".join(failed) or done.stdout[-2000:] + done.stderr[-2000:]
    assert " 0 failed" in done.stdout
