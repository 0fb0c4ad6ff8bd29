"""Regenerate tests/data/golden_phonemes.json from the development sentences.

    python tests/make_golden.py [SENTENCES_FILE]

The sentences default to the development sentences shipped with edgetts.

Run it only when a phonemizer change is intended, and review the diff: the
golden test asserts these phonemes and ids exactly.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

from edgetts import Voice, phonemize
from edgetts.eval import dev_sentences

HERE = Path(__file__).parent
GOLDEN = HERE / "data" / "golden_phonemes.json"


def golden_records(lines: list[str]) -> list[dict[str, object]]:
    voice = Voice.load()
    records = []
    for line in lines:
        sentences = list(phonemize(line, voice.config.espeak_voice))
        records.append(
            {
                "text": line,
                "sentences": [
                    {"phonemes": s.ipa, "ids": voice.id_mapper(s.phonemes).ids.tolist()}
                    for s in sentences
                ],
            }
        )
    return records


def main() -> None:
    if len(sys.argv) > 1:
        text = Path(sys.argv[1]).read_text(encoding="utf-8")
        lines = [t for t in text.splitlines() if t.strip()]
    else:
        lines = dev_sentences()
    payload = {
        "voice": "en_US-joe-medium",
        "phonemizer": f"espeakng-loader {version('espeakng-loader')}",
        "records": golden_records(lines),
    }
    # One record per line keeps diffs of this file readable.
    records = ",\n  ".join(json.dumps(r, ensure_ascii=False) for r in payload.pop("records"))
    header = json.dumps(payload, ensure_ascii=False)[:-1]
    GOLDEN.write_text(f'{header}, "records": [\n  {records}\n]}}\n', encoding="utf-8")
    print(f"wrote {len(lines)} records to {GOLDEN}")


if __name__ == "__main__":
    main()
