"""The variants of a saved bench run against the reference and the issue's targets.

    python tools/variants_table.py bench/results/bench.json > bench/results/variants.md
    python tools/update_readme.py variants bench/results/variants.md

Every figure is computed from the JSON; speed is the median of per-sentence
latency ratios from the same interleaved run ("x faster" = 1 / ratio).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

PEER = "piper-tts"


def _ratio(record: dict[str, Any], other: dict[str, Any]) -> float:
    pairs = zip(record["sentence_latency_s"], other["sentence_latency_s"], strict=True)
    return statistics.median(a / b for a, b in pairs)


def main() -> None:
    payload = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    records = {r["engine"]: r for r in payload["records"]}
    ref = records[payload["reference"]]
    peer = records.get(PEER)
    spread = payload["fidelity_spread"]["mcd_db"]
    info = payload["system"]
    print(
        f"{info['cpu']} ({info['usable_cores']} usable cores), commit {info['git_commit']}; "
        f"{len(payload['sentences'])} sentences; reference {payload['reference']}; "
        f"fp32 run-to-run MCD spread {spread:.2f} dB."
    )
    print()
    print(
        "| variant / backend | size MB | size vs fp32 | x faster than fp32 ORT | x faster than "
        "piper-tts | ΔWER points [95% CI] | ΔDNSMOS OVRL | MCD dB | dur ratio |"
    )
    print("|" + "---|" * 9)
    ref_ovrl = ref["dnsmos"]["ovrl"]
    for r in payload["records"]:
        if r["engine"] == PEER:
            continue
        delta = r["wer_vs_reference"]
        vs_peer = f"{1 / _ratio(r, peer):.2f}" if peer else "-"
        print(
            f"| {r['engine']} | {r['model_mb']:.1f} | {r['model_mb'] / ref['model_mb']:.0%} | "
            f"{1 / _ratio(r, ref):.2f} | {vs_peer} | {100 * delta['difference']:+.1f} "
            f"[{100 * delta['ci95'][0]:+.1f}, {100 * delta['ci95'][1]:+.1f}] | "
            f"{r['dnsmos']['ovrl'] - ref_ovrl:+.2f} | {r['fidelity']['mcd_db']:.2f} | "
            f"{r['fidelity']['duration_ratio']:.3f} |"
        )


if __name__ == "__main__":
    main()
