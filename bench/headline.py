"""The README's headline table, from a saved ``edgetts bench`` JSON (no numbers typed).

    python bench/headline.py bench/results/bench.json > bench/results/headline.md
    python tools/update_readme.py headline bench/results/headline.md

Rows: piper-tts, the voice's own graph on each backend, and the shipped
default variant (``fast``) on each backend, with the figures of one run.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

SHIPPED = "fast"


def _row(record: dict[str, Any], reference: dict[str, Any], peer: dict[str, Any]) -> str:
    pairs = zip(record["sentence_latency_s"], peer["sentence_latency_s"], strict=True)
    vs_peer = statistics.median(p / r for r, p in pairs)
    wer = record.get("wer_vs_reference", {})
    dns = record.get("dnsmos_vs_reference")
    dns_text = "-"
    if dns:
        low, high = dns["ci95"]
        dns_text = f"{dns['difference']:+.2f} [{low:+.2f}, {high:+.2f}]"
    elif record is reference:
        dns_text = "+0.00"
    label = {"piper-tts": "piper-tts 1.8 (peer)"}.get(record["engine"], record["engine"])
    return (
        f"| {label} | {record['model_mb']:.1f} | {1000 * record['latency_median_s']:.0f} | "
        f"{1000 * record['first_audio_median_s']:.0f} | {vs_peer:.2f}x | "
        f"{100 * wer.get('difference', 0.0):+.1f} | {dns_text} | "
        f"{record.get('fidelity', {}).get('mcd_db', 0.0):.2f} |"
    )


def headline(payload: dict[str, Any]) -> str:
    records = {r["engine"]: r for r in payload["records"]}
    reference, peer = records[payload["reference"]], records["piper-tts"]
    chosen = [
        r
        for r in payload["records"]
        if r["engine"] == "piper-tts" or r["variant"] in ("fp32", SHIPPED)
    ]
    info = payload["system"]
    spread = payload.get("fidelity_spread") or {}
    lines = [
        f"{info['cpu']}, {info['usable_cores']} cores ({' '.join(info.get('cpu_features', []))}); "
        f"{len(payload['sentences'])} development sentences, one interleaved run; "
        f"commit {info['git_commit']}.",
        "",
        "| engine | MB | median ms | first audio ms | x faster than piper-tts "
        "| ΔWER points | ΔDNSMOS OVRL [95% CI] | MCD dB |",
        "|" + "---|" * 8,
        *(_row(r, reference, peer) for r in chosen),
        "",
        f"Against {payload['reference']}; `+bf16`: the decoder in bf16 (OpenVINO, AMX-BF16, "
        "see docs/variants.md); `+prior-onnxruntime`: the prior graph on ONNX Runtime "
        "(docs/python-api.md). The voice's own run-to-run MCD with sampling noise is "
        f"{spread.get('mcd_db', float('nan')):.2f} dB. x faster: median of per-sentence "
        "piper-tts / engine time.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    payload = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(headline(payload))


if __name__ == "__main__":
    main()
