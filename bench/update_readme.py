"""Put a saved report into README.md between its markers.

    edgetts bench --json bench/results/bench.json --markdown bench/results/bench.md \
        --plots bench/results
    python bench/update_readme.py bench bench/results/bench.md
    python bench/kernels.py > bench/results/kernels.md
    python bench/update_readme.py kernels bench/results/kernels.md

replaces what lies between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

The README's numbers are then exactly the report's: none are typed by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edgetts.files import write_atomic

README = Path(__file__).parents[1] / "README.md"


def main() -> None:
    name, source = sys.argv[1], Path(sys.argv[2])
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    report = source.read_text(encoding="utf-8").strip()
    readme = README.read_text(encoding="utf-8")
    if start not in readme or end not in readme:
        sys.exit(f"README.md has no {start} ... {end} markers")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{start}\n{report}\n{end}{tail}"
    write_atomic(README, updated.encode("utf-8"))
    print(f"updated {README}")


if __name__ == "__main__":
    main()
