"""Command line: ``edgetts speak | voices | variants | pack | optimize | phonemize | backends |
bench``."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .audio import to_int16
from .backends import available_backends
from .config import SUPPORTED_SAMPLE_RATES
from .errors import EdgeTTSError, ExtraNotInstalledError
from .files import commit, discard, open_temp_beside, write_atomic
from .phonemize import segment_sentences
from .ssml import segments_of
from .text import check_text
from .timestamps import PhonemeTime, Timeline, WordTime, to_srt, to_vtt
from .voice import DEFAULT_VOICE, Voice, installed_voices
from .wav import SAMPLE_FORMATS, WavWriter

if TYPE_CHECKING:
    pass

__all__ = ["main", "run"]


def _read_text(text: str | None) -> str:
    return sys.stdin.read() if text in (None, "-") else str(text)


def _speak(args: argparse.Namespace) -> int:
    from .tts import EdgeTTS

    if (args.output is None) == (args.raw is None):
        raise ValueError("give exactly one of -o/--output (WAV) and --raw (PCM, '-' for stdout)")
    _check_timestamps_path(args.timestamps)
    for path in (args.output, None if args.raw == "-" else args.raw, args.timestamps):
        if path is not None:
            _check_writable(Path(path))
    text = check_text(_read_text(args.text))
    tts = EdgeTTS(
        args.voice,
        backend=args.backend,
        threads=args.threads,
        variant=args.variant,
        precision=args.precision,
    )
    rate = args.sample_rate or tts.sample_rate
    chunks = tts.stream(
        text,
        speed=args.speed,
        noise_scale=args.noise_scale,
        noise_w=args.noise_w,
        speaker_id=args.speaker,
        sample_rate=args.sample_rate,
        chunk_ms=args.chunk_ms,
        timestamps=args.timestamps is not None,
        fast_start=args.fast_start,
    )
    timeline = Timeline()
    seconds = 0.0
    # Streamed chunk by chunk: memory stays bounded for long input.
    with _sink(args, rate) as write:
        for chunk in chunks:
            write(chunk.samples)
            timeline.add(chunk.words, chunk.phonemes, chunk.offset)
            seconds = chunk.offset + chunk.duration
    if args.timestamps is not None:
        write_timestamps(args.timestamps, timeline.words, timeline.phonemes)
    target = args.output or ("standard output" if args.raw == "-" else args.raw)
    print(
        f"wrote {seconds:.2f} s of audio to {target} "
        f"({tts.variant} on {tts.backend.name}, {rate} Hz"
        f"{', signed 16-bit little-endian mono PCM' if args.raw else ''})",
        file=sys.stderr,
    )
    return 0


@contextlib.contextmanager
def _sink(args: argparse.Namespace, rate: int) -> Iterator[Callable[[NDArray[np.float32]], None]]:
    """Where audio goes: a WAV file, a raw PCM file, or raw PCM on stdout."""
    if args.output is not None:
        with WavWriter(args.output, rate, sample_format=args.format) as writer:
            yield writer.write
    elif args.raw == "-":
        out = sys.stdout.buffer

        def to_stdout(samples: NDArray[np.float32]) -> None:
            out.write(to_int16(samples).astype("<i2", copy=False).data)
            out.flush()  # a player downstream hears each chunk as it comes

        yield to_stdout
    else:
        file, tmp = open_temp_beside(Path(args.raw))

        def to_file(samples: NDArray[np.float32]) -> None:
            file.write(to_int16(samples).astype("<i2", copy=False).data)

        try:
            yield to_file
        except BaseException:
            discard(file, tmp)
            raise
        commit(file, tmp, Path(args.raw))


def _timings_json(words: Sequence[WordTime], phonemes: Sequence[PhonemeTime]) -> str:
    return json.dumps(
        {
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in words],
            "phonemes": [{"phoneme": p.phoneme, "start": p.start, "end": p.end} for p in phonemes],
        },
        indent=1,
        ensure_ascii=False,
    )


_TIMESTAMP_FORMATS: dict[str, Callable[[Sequence[WordTime], Sequence[PhonemeTime]], str]] = {
    ".json": _timings_json,
    ".srt": lambda words, _: to_srt(words),
    ".vtt": lambda words, _: to_vtt(words),
}


def _check_writable(path: Path) -> None:
    """Before any synthesis: ``path`` can be written (its folder exists, it is no folder)."""
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write {path}: folder {folder} is not writable")


def _check_timestamps_path(path: Path | None) -> None:
    if path is not None and path.suffix.lower() not in _TIMESTAMP_FORMATS:
        raise ValueError(f"timestamps file {path} must end in .json, .srt or .vtt")


def write_timestamps(
    path: Path, words: Sequence[WordTime], phonemes: Sequence[PhonemeTime] = ()
) -> Path:
    """Timings as JSON (words and phonemes), SRT or WebVTT (words), chosen by the
    file's suffix; written atomically."""
    _check_timestamps_path(path)
    text = _TIMESTAMP_FORMATS[path.suffix.lower()](words, phonemes)
    return write_atomic(path, text.encode("utf-8"))


def _voices(_: argparse.Namespace) -> int:
    for name, path in installed_voices().items():
        print(f"{name}\t{path}")
    return 0


def _phonemize(args: argparse.Namespace) -> int:
    text = check_text(_read_text(args.text))
    espeak_voice = Voice.load(args.voice).config.espeak_voice
    for segment in segments_of(text):
        for sentence in segment_sentences(segment, espeak_voice):
            print(sentence.ipa)
    return 0


def _variants(args: argparse.Namespace) -> int:
    from .packs import read_pack, shipped_packs
    from .variants import REFERENCE_VARIANT, corrupt_variants, stored_variants

    voice = Voice.load(args.voice)
    stored, corrupt, shipped = stored_variants(voice), corrupt_variants(voice), shipped_packs(voice)
    if args.json:
        listing = {
            "built": {name: dict(v.manifest) for name, v in stored.items()},
            "shipped": {name: str(path) for name, path in shipped.items()},
            "corrupt": corrupt,
        }
        print(json.dumps(listing, indent=1))
        return 0
    reference_mb = voice.model_path.stat().st_size / 2**20
    print(f"{REFERENCE_VARIANT}\tany\t{reference_mb:.1f} MB\tthe voice\t{voice.model_path}")
    for name, variant in stored.items():
        state = "built" + (" (shipped)" if name in shipped else "")
        line = f"{name}\t{variant.backend}\t{variant.size_bytes / 2**20:.1f} MB\t{state}"
        measured = variant.manifest.get("measured")
        if measured:
            ratio = measured["time_ratio_vs_fp32_onnxruntime_median"]
            line += f"\tMCD {measured['mcd_db_mean']:.2f} dB, time x{ratio:.2f} vs fp32 ORT"
        print(line)
    for name, path in shipped.items():
        if name not in stored:
            index = read_pack(path)
            backend = index["manifest"].get("backend", "any")
            print(f"{name}\t{backend}\t-\tshipped, built on first use\t{path}")
    for name, reason in corrupt.items():
        print(f"{name}\t-\t-\tcorrupt: {reason}")
    print(
        "buildable: `edgetts optimize ptq --preset weights|int8|int8-full` (seconds), "
        "`edgetts optimize fast` (minutes, the train extra), "
        "`python -m edgetts.train qat|prune|distill` (hours, the train extra), "
        "`edgetts pack import FILE`",
        file=sys.stderr,
    )
    return 0


def _pack_export(args: argparse.Namespace) -> int:
    from .packs import export_pack

    path = export_pack(args.voice, args.variant, args.output, default_for=tuple(args.default_for))
    print(f"wrote pack of {args.variant!r} to {path} ({path.stat().st_size / 2**20:.2f} MB)")
    return 0


def _pack_import(args: argparse.Namespace) -> int:
    from .packs import import_pack

    variant = import_pack(
        args.file,
        args.voice,
        replace=args.force,
        progress=lambda message: print(message, file=sys.stderr),
    )
    print(f"imported variant {variant.name!r} of {variant.manifest['voice']} into {variant.folder}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        from .server import PoolSettings, ServerSettings, serve
    except ImportError as exc:
        raise ExtraNotInstalledError(
            f"edgetts serve needs the server extra: pip install 'edgetts[server]' ({exc})"
        ) from exc
    pool = PoolSettings(
        voices=args.voices or [None],
        workers=args.workers,
        queue=args.queue,
        backend=args.backend,
        variant=args.variant,
    )
    settings = ServerSettings(max_input=args.max_input, deadline_s=args.deadline)
    if args.ray and args.wyoming:
        raise ValueError("--wyoming runs in the edgetts process; it cannot be combined with --ray")
    replicas = (args.replicas[0], args.replicas[1]) if args.ray else None
    serve(
        pool, settings, host=args.host, port=args.port, wyoming=args.wyoming, ray_replicas=replicas
    )
    return 0


def _backends(_: argparse.Namespace) -> int:
    print("\n".join(available_backends()))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .eval import dev_sentences
    from .eval.report import run_bench, to_markdown, write_outputs

    sentences: list[str] = []
    for source in args.sentences:
        if source == "dev":
            sentences += dev_sentences()
        else:
            text = Path(source).read_text(encoding="utf-8")
            sentences += [line for line in text.splitlines() if line.strip()]
    payload = run_bench(
        sentences,
        voice=args.voice,
        variants=args.variants,
        backends=args.backends,
        device=args.device,
        chunk_ms=args.chunk_ms,
        judges=args.judges,
        threads=args.threads,
        include_peer=not args.no_peer,
        precisions=args.precisions,
        noise=not args.noise_off,
    )
    print(to_markdown(payload))
    for path in write_outputs(
        payload, json_path=args.json, markdown_path=args.markdown, plots_dir=args.plots
    ):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _add_pack(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pack = sub.add_parser("pack", help="move variants between machines as pack files")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    export = pack_commands.add_parser("export", help="write a stored variant to a pack file")
    export.add_argument("variant")
    export.add_argument("-o", "--output", type=Path, required=True, help="the pack file to write")
    export.add_argument("--voice", default=None)
    export.add_argument(
        "--default-for",
        nargs="*",
        default=[],
        choices=["onnxruntime", "openvino"],
        help="backends on which the shipped pack is the voice's default",
    )
    export.set_defaults(func=_pack_export)
    imp = pack_commands.add_parser("import", help="build a pack file into the model store")
    imp.add_argument("file", type=Path)
    imp.add_argument("--voice", default=None, help="default: the voice the pack names")
    imp.add_argument("--force", action="store_true", help="replace a variant of that name")
    imp.set_defaults(func=_pack_import)


def _judges(text: str) -> list[str]:
    """``--judges``: checked before the benchmark runs (the judges come after it)."""
    from .eval.quality import check_judges

    chosen = [j for j in text.split(",") if j]
    try:
        check_judges(chosen)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return chosen


def _add_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .eval.quality import JUDGES

    bench = sub.add_parser("bench", help="size, speed and quality report vs piper-tts")
    bench.add_argument(
        "--sentences",
        nargs="+",
        default=["dev"],
        help="sentence files, one sentence a line; 'dev' is the built-in list",
    )
    bench.add_argument("--voice", default=None)
    bench.add_argument("--variants", nargs="+", default=None, help="default: the whole store")
    bench.add_argument("--backends", nargs="+", default=None, help="default: all installed")
    bench.add_argument(
        "--judges",
        type=_judges,
        default=",".join(JUDGES),
        help=f"comma-separated, from {', '.join(JUDGES)} ('' for none): wer is whisper "
        "tiny.en's word error rate, dnsmos a MOS predictor, fidelity MCD/LSD/durations "
        "against the reference (noise 0)",
    )
    bench.add_argument("--threads", type=int, default=None)
    bench.add_argument("--device", default="cpu", help="cpu, or cuda (onnxruntime-gpu)")
    bench.add_argument(
        "--chunk-ms", type=float, default=None, help="stream inside sentences (first audio)"
    )
    bench.add_argument("--no-peer", action="store_true", help="leave piper-tts out")
    bench.add_argument(
        "--noise-off",
        action="store_true",
        help="synthesise with noise 0 (repeatable: differences are the engines', not sampling's)",
    )
    bench.add_argument(
        "--precisions",
        nargs="+",
        default=["auto"],
        choices=["auto", "fp32", "bf16"],
        help="run each variant in these precisions where they differ (see edgetts.hardware)",
    )
    bench.add_argument("--json", type=Path, default=None)
    bench.add_argument("--markdown", type=Path, default=None)
    bench.add_argument("--plots", type=Path, default=None)
    bench.set_defaults(func=_bench)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .server.pool import ServerSettings  # defaults: one source

    defaults = ServerSettings()
    serve = sub.add_parser("serve", help="the OpenAI speech API (and Wyoming) over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8880)
    serve.add_argument("--voices", nargs="+", default=None, help="default: the default voice")
    serve.add_argument("--workers", type=int, default=1, help="engines per voice")
    serve.add_argument("--queue", type=int, default=8, help="requests that may wait per voice")
    serve.add_argument("--backend", default="auto")
    serve.add_argument("--variant", default=None, help="default: each voice's default")
    serve.add_argument("--max-input", type=int, default=defaults.max_input, help="characters")
    serve.add_argument("--deadline", type=float, default=defaults.deadline_s, help="seconds")
    serve.add_argument(
        "--wyoming", default=None, help="also serve Wyoming, e.g. tcp://127.0.0.1:10200"
    )
    serve.add_argument("--ray", action="store_true", help="run as a Ray Serve deployment")
    serve.add_argument(
        "--replicas",
        type=int,
        nargs=2,
        default=[1, 2],
        metavar=("MIN", "MAX"),
        help="with --ray: autoscaling bounds",
    )
    serve.set_defaults(func=_serve)


def _parser() -> argparse.ArgumentParser:
    from .optimize.cli import add_optimize

    parser = argparse.ArgumentParser(prog="edgetts", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is chosen")
    sub = parser.add_subparsers(dest="command", required=True)

    speak = sub.add_parser("speak", help="synthesise text to a WAV file")
    speak.add_argument("text", nargs="?", help="text to speak; stdin when omitted or '-'")
    speak.add_argument("-o", "--output", type=Path, help="WAV file to write (atomically)")
    speak.add_argument("--raw", help="write 16-bit PCM instead: a file, or '-' for stdout")
    speak.add_argument(
        "--chunk-ms",
        type=float,
        default=None,
        help="stream inside sentences, first chunk this long",
    )
    speak.add_argument(
        "--fast-start",
        action="store_true",
        help="with --chunk-ms: speak each sentence's first clause on its own, sooner",
    )
    speak.add_argument(
        "--timestamps", type=Path, default=None, help="also write word timings: .json, .srt or .vtt"
    )
    speak.add_argument("--voice", default=None, help=f"voice name or .onnx path ({DEFAULT_VOICE})")
    speak.add_argument("--backend", default="auto", help="onnxruntime, openvino or auto")
    speak.add_argument("--sample-rate", type=int, choices=SUPPORTED_SAMPLE_RATES, default=None)
    speak.add_argument("--format", choices=list(SAMPLE_FORMATS), default="pcm16")
    speak.add_argument("--speed", type=float, default=None)
    speak.add_argument("--noise-scale", type=float, default=None)
    speak.add_argument("--noise-w", type=float, default=None)
    speak.add_argument("--speaker", type=int, default=None)
    speak.add_argument("--threads", type=int, default=None)
    speak.add_argument(
        "--variant",
        default=None,
        help="a variant: 'fp32' (the voice's own graph), a stored or shipped one "
        "(default: the voice's shipped fast variant where there is one; `edgetts variants`)",
    )
    speak.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16"],
        help="auto: bf16 for the graphs a variant allows, on OpenVINO with AMX-BF16",
    )
    speak.set_defaults(func=_speak)

    variants = sub.add_parser("variants", help="list a voice's variants in the model store")
    variants.add_argument("--voice", default=None)
    variants.add_argument("--json", action="store_true", help="print the manifests")
    variants.set_defaults(func=_variants)

    add_optimize(sub)

    _add_pack(sub)

    voices = sub.add_parser("voices", help="list installed voices")
    voices.set_defaults(func=_voices)

    phon = sub.add_parser("phonemize", help="print IPA phonemes, one sentence a line")
    phon.add_argument("text", nargs="?", help="text; stdin when omitted or '-'")
    phon.add_argument("--voice", default=None)
    phon.set_defaults(func=_phonemize)

    _add_bench(sub)
    _add_serve(sub)
    backends = sub.add_parser("backends", help="list installed backends")
    backends.set_defaults(func=_backends)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run its command (``func``); a failure edgetts expects is one
    line on stderr and exit status 2. Also ``python -m edgetts.train``'s."""
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        result: int = args.func(args)
    except (EdgeTTSError, ValueError, OSError) as exc:  # a TypeError is a bug: traceback
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run(_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
