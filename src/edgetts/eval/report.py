"""``edgetts bench``: one report of size, speed and quality, side by side with piper-tts.

Writes a JSON record per (variant, backend) engine, a Markdown table and PNG
plots. Every speed figure also appears as a ratio to piper-tts from the same run.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..backends import available_backends
from ..files import write_atomic
from ..hardware import reported_features
from ..packs import shipped_packs, shipped_variant
from ..variants import REFERENCE_VARIANT, stored_variants
from ..voice import Voice
from .benchmark import PEER, EngineRun, load_engines, peak_rss_mb, run_interleaved
from .metrics import bootstrap_mean_difference
from .quality import JUDGES, check_judges, judge_runs
from .sysinfo import system_info

__all__ = ["run_bench", "save_png", "to_markdown", "write_outputs"]

SCHEMA_VERSION = 1


def progress_bar(total: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """A tqdm bar when tqdm is installed, else a plain counter on stderr."""
    try:
        from tqdm import tqdm
    except ImportError:
        done = [0]

        def tick() -> None:
            done[0] += 1
            print(f"\r{done[0]}/{total}", end="", file=sys.stderr)

        return tick, lambda: print(file=sys.stderr)
    bar = tqdm(total=total, unit="step", file=sys.stderr)
    return lambda: bar.update(1), bar.close


def _reference(runs: Sequence[EngineRun]) -> EngineRun:
    for run in runs:
        if run.engine.variant == REFERENCE_VARIANT and run.engine.backend != PEER:
            return run
    return runs[0]


def run_bench(
    sentences: Sequence[str],
    *,
    voice: str | Path | None = None,
    variants: Sequence[str] | None = None,
    backends: Sequence[str] | None = None,
    judges: Sequence[str] = JUDGES,
    threads: int | None = None,
    device: str = "cpu",
    chunk_ms: float | None = None,
    include_peer: bool = True,
    precisions: Sequence[str] = ("auto",),
    noise: bool = True,
) -> dict[str, Any]:
    """Run the benchmark and return the JSON payload."""
    if not sentences:
        raise ValueError("the sentence list is empty")
    check_judges(judges)  # before the engines run: the judges come after them
    loaded = Voice.load(voice)
    shipped = [n for n in shipped_packs(loaded) if n not in stored_variants(loaded)]
    stored = [REFERENCE_VARIANT, *stored_variants(loaded), *shipped]
    chosen = list(variants) if variants else stored
    missing = [v for v in chosen if v not in stored]
    if missing:
        raise ValueError(f"unknown variants {missing}; the model store has {stored}")
    for name in chosen:  # shipped packs are built into the store on first use
        if name != REFERENCE_VARIANT:
            shipped_variant(loaded, name)
    backends = list(backends) if backends else available_backends()
    if not backends:
        raise ValueError("no backend to benchmark: none is installed or none was named")
    engines = load_engines(
        loaded,
        chosen,
        backends,
        threads=threads,
        device=device,
        chunk_ms=chunk_ms,
        include_peer=include_peer,
        precisions=precisions,
        noise=noise,
    )
    steps = (
        len(engines)
        * len(sentences)
        * (1 + ("wer" in judges) + ("dnsmos" in judges) + ("fidelity" in judges))
    )
    tick, close = progress_bar(steps)
    started = time.perf_counter()
    try:
        runs = run_interleaved(engines, sentences, tick=tick)
        reference = _reference(runs)
        quality, spread = judge_runs(runs, sentences, judges, reference, tick)
    finally:
        close()
    peer = next((r for r in runs if r.engine.name == PEER), None)
    peer_speed = peer.speed() if peer else None
    records = []
    for run in runs:
        engine, speed = run.engine, run.speed()
        record: dict[str, Any] = {
            "engine": engine.name,
            "variant": engine.variant,
            "backend": engine.backend,
            "model_mb": engine.model_bytes / 2**20,
            "load_s": engine.load_seconds,
            "rss_added_mb": engine.rss_added_mb,
            **speed,
            "vs_peer": {k: v / peer_speed[k] for k, v in speed.items()} if peer_speed else None,
            "sentence_latency_s": run.latencies,
            "sentence_audio_s": run.audio_seconds,
            **quality[engine.name],
        }
        ours, ref = record.get("sentence_dnsmos_ovrl"), quality[reference.engine.name]
        if ours and len(ours) == len(ref.get("sentence_dnsmos_ovrl", [])):
            diff, low, high = bootstrap_mean_difference(ours, ref["sentence_dnsmos_ovrl"])
            record["dnsmos_vs_reference"] = {"difference": diff, "ci95": [low, high]}
        records.append(record)
    info = system_info()
    info.update(
        cpu_features=reported_features(),
        chunk_ms=chunk_ms,
        noise="voice defaults" if noise else "off (noise_scale 0, noise_w 0)",
        device=device,
        threads=threads if threads is not None else "runtime default",
        peak_rss_mb=peak_rss_mb(),
        wall_s=time.perf_counter() - started,
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "voice": loaded.name,
        "reference": reference.engine.name,
        "sentences": list(sentences),
        "judges": list(judges),
        "fidelity_spread": spread,
        "system": info,
        "records": records,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def to_markdown(payload: dict[str, Any]) -> str:
    info = payload["system"]
    lines = [
        f"Voice {payload['voice']}, {len(payload['sentences'])} sentences; reference "
        f"{payload['reference']}. Machine: {info['cpu']} ({info['usable_cores']} usable cores; "
        f"{' '.join(info.get('cpu_features', []))}), "
        f"GPU: {info['gpu'] or 'none'}, device: {info['device']}, threads: {info['threads']}, "
        f"sampling noise: {info.get('noise', 'voice defaults')}, "
        f"in-sentence streaming: "
        f"{'chunk_ms=' + format(info['chunk_ms'], 'g') if info.get('chunk_ms') else 'off'}.",
        f"Versions: {', '.join(f'{k} {v}' for k, v in info['versions'].items() if v)}; "
        f"commit {info['git_commit']}.",
        "",
        "| engine | MB | load s | median ms | p90 ms | RTF | first audio ms | vs piper (latency) "
        "| WER % | CER % | ΔWER vs ref [95% CI] | DNSMOS OVRL | P.808 | MCD dB | LSD dB "
        "| dur ratio |",
        "|" + "---|" * 16,
    ]
    for r in payload["records"]:
        vs = r["vs_peer"]["latency_median_s"] if r["vs_peer"] else None
        delta = r.get("wer_vs_reference")
        ci = (
            (
                f"{100 * delta['difference']:+.1f} [{100 * delta['ci95'][0]:+.1f}, "
                f"{100 * delta['ci95'][1]:+.1f}]"
            )
            if delta
            else "-"
        )
        dns, fid = r.get("dnsmos", {}), r.get("fidelity", {})
        lines.append(
            f"| {r['engine']} | {r['model_mb']:.1f} | {r['load_s']:.2f} | "
            f"{1000 * r['latency_median_s']:.0f} | {1000 * r['latency_p90_s']:.0f} | "
            f"{r['rtf']:.3f} | "
            f"{1000 * r['first_audio_median_s']:.0f} | {_fmt(vs, '.2f')}x | "
            f"{_fmt(100 * r['wer'] if 'wer' in r else None, '.1f')} | "
            f"{_fmt(100 * r['cer'] if 'cer' in r else None, '.1f')} | {ci} | "
            f"{_fmt(dns.get('ovrl'), '.2f')} | {_fmt(dns.get('p808'), '.2f')} | "
            f"{_fmt(fid.get('mcd_db'), '.2f')} | {_fmt(fid.get('lsd_db'), '.2f')} | "
            f"{_fmt(fid.get('duration_ratio'), '.3f')} |"
        )
    lines += ["", *_versus_reference(payload)]
    spread = payload.get("fidelity_spread")
    lines.append("")
    if spread:
        lines.append(
            f"Yardstick: the reference against itself with default noise differs by MCD "
            f"{spread['mcd_db']:.2f} dB, LSD {spread['lsd_db']:.2f} dB, duration ratio "
            f"{spread['duration_ratio']:.3f}; fidelity is measured with noise 0 against the "
            "reference."
        )
    lines.append(
        "Medians over sentences, one interleaved run; RTF = compute seconds / audio seconds; "
        "DNSMOS is a MOS predictor, not a listening test."
    )
    return "\n".join(lines) + "\n"


def _versus_reference(payload: dict[str, Any]) -> list[str]:
    """Each engine as ratios and differences to the reference engine of the same run."""
    records = {r["engine"]: r for r in payload["records"]}
    ref = records[payload["reference"]]
    lines = [
        f"Against {payload['reference']} (time: median of per-sentence ratios, <1 is faster):",
        "",
        "| engine | size | time | ΔWER points | ΔDNSMOS OVRL [95% CI] | MCD dB | dur ratio |",
        "|" + "---|" * 7,
    ]
    ref_ovrl = ref.get("dnsmos", {}).get("ovrl")
    for r in payload["records"]:
        pairs = zip(r["sentence_latency_s"], ref["sentence_latency_s"], strict=True)
        time_ratio = statistics.median(a / b for a, b in pairs)
        ovrl = r.get("dnsmos", {}).get("ovrl")
        delta_ovrl = ovrl - ref_ovrl if ovrl is not None and ref_ovrl is not None else None
        dns_ci = r.get("dnsmos_vs_reference", {}).get("ci95")
        shown_ovrl = _fmt(delta_ovrl, "+.2f") + (
            f" [{dns_ci[0]:+.2f}, {dns_ci[1]:+.2f}]" if dns_ci and r is not ref else ""
        )
        delta_wer = r.get("wer_vs_reference", {}).get("difference")
        fid = r.get("fidelity", {})
        lines.append(
            f"| {r['engine']} | {r['model_mb'] / ref['model_mb']:.0%} | {time_ratio:.2f} | "
            f"{_fmt(100 * delta_wer if delta_wer is not None else None, '+.1f')} | "
            f"{shown_ovrl} | {_fmt(fid.get('mcd_db'), '.2f')} | "
            f"{_fmt(fid.get('duration_ratio'), '.3f')} |"
        )
    return lines


def save_png(fig: Any, path: Path) -> Path:
    """Write a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path


def _plots(payload: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    folder.mkdir(parents=True, exist_ok=True)
    records = payload["records"]
    written = []
    quality_key = next((k for k in ("wer", "dnsmos") if k in records[0]), None)
    if quality_key:
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in records:
            y = 100 * r["wer"] if quality_key == "wer" else r["dnsmos"]["ovrl"]
            marker = "*" if r["engine"] == PEER else "o"
            ax.scatter(r["rtf"], y, marker=marker, s=120 if marker == "*" else 50)
            ax.annotate(r["engine"], (r["rtf"], y), textcoords="offset points", xytext=(5, 5))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel("real-time factor (lower is faster)")
        ax.set_ylabel("WER %" if quality_key == "wer" else "DNSMOS OVRL (predicted)")
        ax.set_title("quality vs speed (★ piper-tts)")
        fig.tight_layout()
        written.append(save_png(fig, folder / "quality_vs_speed.png"))
    fig, ax = plt.subplots(figsize=(6, 4))
    lengths = [len(s) for s in payload["sentences"]]
    for r in records:
        ax.scatter(lengths, [1000 * x for x in r["sentence_latency_s"]], s=12, label=r["engine"])
    ax.set_xlabel("sentence length (characters)")
    ax.set_ylabel("latency ms")
    ax.legend()
    fig.tight_layout()
    written.append(save_png(fig, folder / "latency_vs_length.png"))
    return written


def write_outputs(
    payload: dict[str, Any],
    *,
    json_path: Path | None,
    markdown_path: Path | None,
    plots_dir: Path | None,
) -> list[Path]:
    written = []
    for path in (json_path, markdown_path):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
    if json_path:
        write_atomic(json_path, (json.dumps(payload, indent=1) + "\n").encode())
        written.append(json_path)
    if markdown_path:
        write_atomic(markdown_path, to_markdown(payload).encode())
        written.append(markdown_path)
    if plots_dir:
        written += _plots(payload, plots_dir)
    return written
