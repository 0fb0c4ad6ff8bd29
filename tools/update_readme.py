"""Put a saved report into the page (README.md, docs/*.md, research/*.md) that has its markers.

    edgetts bench --json bench/results/bench.json --markdown bench/results/bench.md \
        --plots bench/results
    python tools/update_readme.py bench bench/results/bench.md
    python bench/kernels.py > bench/results/kernels.md
    python tools/update_readme.py kernels bench/results/kernels.md

replaces what lies between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in
the one page that holds them (``bench`` lives in docs/benchmarks.md,
``headline`` in README.md, ``training`` in research/students.md); it is an
error if no page or more than one does. It only reads FILE and the pages.

The pages' numbers are then exactly the report's: none are typed by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edgetts.files import write_atomic

ROOT = Path(__file__).parents[1]


def pages() -> list[Path]:
    """The pages that may hold a block: README.md, docs/*.md and research/*.md."""
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "research").glob("*.md")),
    ]


def find_page(start: str, end: str) -> Path:
    """The one page holding both markers; exits with a message otherwise."""
    texts = {page: page.read_text(encoding="utf-8") for page in pages()}
    found = [page for page, text in texts.items() if start in text and end in text]
    if len(found) != 1:
        where = ", ".join(str(p.relative_to(ROOT)) for p in found) or "no page"
        allowed = "README.md, docs/*.md, research/*.md"
        sys.exit(f"{start} ... {end} must be in exactly one of {allowed}: {where}")
    return found[0]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python tools/update_readme.py NAME FILE")
    name, source = sys.argv[1], Path(sys.argv[2])
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    report = source.read_text(encoding="utf-8").strip()
    page = find_page(start, end)
    text = page.read_text(encoding="utf-8")
    if text.count(start) != 1 or text.count(end) != 1:
        sys.exit(f"{page.relative_to(ROOT)} holds {start} or {end} more than once")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{start}\n{report}\n{end}{tail}"
    write_atomic(page, updated.encode("utf-8"))
    print(f"updated {page}")


if __name__ == "__main__":
    main()
