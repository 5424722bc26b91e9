"""How well cleaning joins a hard-wrapped text back into its paragraphs
(`pipeline.text.clean._unwrap`), on real articles folded the way exports fold them.

Each PolNeAR train article is folded at 60, 72 and 80 columns (Python's textwrap), with its
paragraphs kept apart by a blank line or not, and cleaned; the figure is the share of
articles whose cleaned text equals that of the unfolded article, character for character.
Folding "at spaces only" is what `fold -s` and most mailers do; "also after hyphens" is
textwrap's default, which breaks "Republican-repelling" after its hyphen (cleaning then
joins the halves with a space: "Republican- repelling").

Without blank lines the paragraphs of a folded text are ambiguous where a paragraph's last
line happens to be nearly full: cleaning then joins it to the next one. The figures show
how often that happens.

Usage (from the repository root): python -m eval.unwrap [--articles N]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

POLNEAR_TRAIN = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear" / "train" / "text"
WIDTHS = (60, 72, 80)


def fold(raw: str, width: int, blank_lines: bool, break_on_hyphens: bool) -> str:
    """`raw` (a title line, then one paragraph a line) with each paragraph folded at `width`,
    a blank line before each paragraph or none."""
    lines = raw.split("\n")
    out = [lines[0]]
    for para in (line for line in lines[1:] if line.strip()):
        if blank_lines:
            out.append("")
        out += textwrap.wrap(para, width, break_on_hyphens=break_on_hyphens, break_long_words=False)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    from pipeline.text.clean import clean_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="the first N articles of PolNeAR train (default 300)")
    args = parser.parse_args(argv)
    if not POLNEAR_TRAIN.is_dir():
        print(f"PolNeAR train texts not found at {POLNEAR_TRAIN}", file=sys.stderr)
        return 2
    texts = [p.read_text(encoding="utf-8") for p in sorted(POLNEAR_TRAIN.glob("*.txt"))[: args.articles]]
    cleaned = [clean_text(t).text for t in texts]
    print(f"{len(texts)} PolNeAR train articles folded and cleaned: the share cleaned as the unfolded article\n")
    print("| folded | paragraphs apart by | " + " | ".join(f"{w} columns" for w in WIDTHS) + " |")
    print("|---|---|" + "---|" * len(WIDTHS))
    for hyphens, how in ((False, "at spaces only"), (True, "also after hyphens")):
        for blank in (True, False):
            shares = []
            for width in WIDTHS:
                same = sum(
                    clean_text(fold(t, width, blank, hyphens)).text == ref
                    for t, ref in zip(texts, cleaned, strict=True)
                )
                shares.append(f"{same / len(texts):.2f}")
            print(f"| {how} | {'a blank line' if blank else 'a line break'} | " + " | ".join(shares) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
