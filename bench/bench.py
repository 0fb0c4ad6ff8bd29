"""Thin wrapper around ``edgetts bench`` (size, speed and quality vs piper-tts).

    python bench/bench.py [--sentences dev FILE ...] [--variants ...] [--backends ...]
                          [--judges wer,dnsmos,fidelity] [--json OUT.json]
                          [--markdown OUT.md] [--plots DIR]

Needs ``pip install '.[eval,dev]'`` for the judges and the piper-tts peer.
"""

import sys

from edgetts.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
