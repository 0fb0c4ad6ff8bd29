"""Write the training corpus the teacher speaks for student decoders.

    python tools/make_corpus.py src/edgetts/optimize/corpus.txt

Two halves, both deterministic, none of them a development, calibration or
front-end sentence:

- everyday speech from templates (what robots, kiosks, cars and assistants
  say: times, numbers, names, places, questions, exclamations), so that the
  decoder sees the prosody of short commands and replies;
- prose sentences from the docstrings of Python's standard library (PSF
  licence), for a vocabulary of thousands of words in long, varied sentences.

Training reads only the written file (``python -m edgetts.train distill
--calibration corpus``), so the corpus does not depend on the Python version
that trains.
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import sysconfig
from pathlib import Path

from edgetts.eval import dev_sentences
from edgetts.files import write_atomic
from edgetts.numwords import cardinal

PROSE = 2400
EVERYDAY = 2400
SEED = 20261201

NAMES = [
    "Olivia",
    "Liam",
    "Noah",
    "Emma",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Mateo",
    "Aisha",
    "Priya",
    "Kenji",
    "Fatima",
    "Lucas",
    "Ingrid",
    "Tomasz",
    "Chloe",
    "Diego",
    "Hannah",
    "Yusuf",
]
PLACES = [
    "the airport",
    "Central Station",
    "the pharmacy",
    "the office",
    "the hospital",
    "Gate twelve",
    "the north entrance",
    "the parking garage",
    "the library",
    "Lisbon",
    "Osaka",
    "Toronto",
    "the bakery on Elm Street",
    "platform four",
]
THINGS = [
    "the kitchen lights",
    "the thermostat",
    "the garage door",
    "the dishwasher",
    "the living room speaker",
    "the front porch camera",
    "the bedroom fan",
    "the washing machine",
    "the coffee maker",
    "the hallway heater",
]
TASKS = [
    "call the dentist",
    "water the plants",
    "pick up the dry cleaning",
    "send the quarterly report",
    "book a table for four",
    "renew the passport",
    "take the blue pills",
    "feed the cat",
    "charge the car",
    "pay the electricity bill",
]
WEATHER = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy", "humid", "clear"]
FEELINGS = ["great", "wonderful", "terrible", "unusual", "perfect", "strange", "lovely"]
HOURS = [cardinal(hour) for hour in range(1, 13)]
MINUTES = ["o'clock", "fifteen", "thirty", "forty-five", "oh five", "twenty"]
PARTS = ["in the morning", "this afternoon", "tonight", "tomorrow", "on Friday", "next week"]

TEMPLATES = [
    "Remind me to {task} at {hour} {minute} {part}.",
    "Okay, I will remind you to {task} {part}.",
    "Turn off {thing}, please.",
    "I have turned on {thing} for you.",
    "{thing_cap} is already switched off.",
    "Is {thing} still running?",
    "The next train to {place} leaves at {hour} {minute}.",
    "Your ride to {place} is {number} minutes away.",
    "Please proceed to {place}; boarding begins in {number} minutes.",
    "It will be {weather} {part}, with a high of {number} degrees.",
    "Good news, {name}: the weather looks {weather} {part}.",
    "{name}, you have {number} new messages.",
    "Would you like me to call {name} back?",
    "Sorry, {name}, I could not find {place} on the map.",
    "Take the second exit, then continue for {number} hundred meters.",
    "In {number} miles, turn right toward {place}.",
    "What a {feeling} idea, {name}!",
    "That sounds {feeling}. Tell me more!",
    "Did you say {place} or somewhere else?",
    "I found {number} restaurants near {place}.",
    "Your appointment with {name} is {part} at {hour} {minute}.",
    "Hold on, I am still checking whether {thing} is connected.",
    "Warning! The battery is at {number} percent.",
    "Welcome back, {name}. Shall I {task} now?",
]

NUMBERS = [
    "two",
    "three",
    "five",
    "eight",
    "ten",
    "twelve",
    "fifteen",
    "twenty",
    "twenty-four",
    "thirty",
    "forty",
    "fifty-five",
    "seventy",
    "ninety",
    "a hundred",
]


def everyday(count: int, rng: random.Random) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        thing = rng.choice(THINGS)
        out.add(
            rng.choice(TEMPLATES).format(
                task=rng.choice(TASKS),
                hour=rng.choice(HOURS),
                minute=rng.choice(MINUTES),
                part=rng.choice(PARTS),
                thing=thing,
                thing_cap=thing[0].upper() + thing[1:],
                place=rng.choice(PLACES),
                number=rng.choice(NUMBERS),
                weather=rng.choice(WEATHER),
                name=rng.choice(NAMES),
                feeling=rng.choice(FEELINGS),
            )
        )
    return sorted(out)


_SENTENCE = re.compile(r"[A-Z][a-z][A-Za-z ,;'\-]+[a-z][.?!]")


def prose() -> list[str]:
    """Plain-prose sentences of 6-28 words from the standard library's docstrings."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    found: set[str] = set()
    for path in sorted(lib.rglob("*.py")):
        if {"test", "tests", "site-packages", "idlelib"} & set(path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef):
                continue
            for block in re.split(r"\n\s*\n", ast.get_docstring(node) or ""):
                lines = block.splitlines()
                if any(line.startswith(" ") for line in lines):  # code, tables, lists
                    continue
                paragraph = " ".join(line.strip() for line in lines)
                for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph):
                    words = sentence.split()
                    if (
                        _SENTENCE.fullmatch(sentence)
                        and 6 <= len(words) <= 28
                        and max(map(len, words)) <= 18
                        and "''" not in sentence
                    ):
                        found.add(sentence)
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    rng = random.Random(SEED)
    kept = set(dev_sentences())
    sentences = [s for s in rng.sample(prose(), PROSE) if s not in kept]
    sentences += [s for s in everyday(EVERYDAY, rng) if s not in kept]
    rng.shuffle(sentences)
    write_atomic(args.target, ("\n".join(sentences) + "\n").encode())  # no header: one per line
    print(f"{len(sentences)} sentences -> {args.target}")


if __name__ == "__main__":
    main()
