"""How well the automatic coding holds up under review, from the `review_verdicts` table
(of a warehouse or a release): precision with 95% Wilson intervals (overall and per stance
label), Cohen's kappa between the machine's and the coder's stance labels, and
Krippendorff's alpha between coders who reviewed the same items.

One verdict counts per item for precision and kappa: the latest line on it. Alpha takes
each coder's latest verdict on each item reviewed by two coders or more.
"""

from __future__ import annotations

from collections import Counter

from pipeline.schema import STANCE_LABELS, STATEMENT_VERDICTS

_COLUMNS = (
    "review",
    "line",
    "coder",
    "reviewed_at",
    "item",
    "item_id",
    "codebook",
    "codebook_version",
    "machine_stance",
    "verdict",
    "corrected_stance",
    "status",
)


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of k successes in n trials (scipy)."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return round(float(ci.low), 4), round(float(ci.high), 4)


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two label lists (None when chance agreement is 1: one label only).
    Written out here (five lines) rather than adding scikit-learn to the pipeline's
    dependencies; tests/test_review.py checks it against sklearn's cohen_kappa_score."""
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[label] * cb[label] for label in set(ca) | set(cb)) / (n * n)
    return None if expected == 1 else round((observed - expected) / (1 - expected), 4)


def krippendorff_alpha(by_coder: dict[str, dict[str, str]]) -> float | None:
    """Nominal Krippendorff's alpha over the items two coders or more coded (the
    `krippendorff` package); None when there are none, or every value is the same."""
    import numpy as np

    items = sorted({i for verdicts in by_coder.values() for i in verdicts})
    items = [i for i in items if sum(i in v for v in by_coder.values()) >= 2]
    values = sorted({by_coder[c][i] for c in by_coder for i in items if i in by_coder[c]})
    if not items or len(values) < 2:
        return None
    import krippendorff

    code = {v: n for n, v in enumerate(values)}
    data = np.array(
        [[code[by_coder[c][i]] if i in by_coder[c] else np.nan for i in items] for c in sorted(by_coder)], dtype=float
    )
    return round(float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), 4)


def _latest(rows: list[dict]) -> dict[str, dict]:
    """Each item's verdict: the latest of the files that correct (a second coder's
    `--reliability` verdicts, status measured, only when no such file judged the item)."""
    out = {}
    for measured in (True, False):
        for r in rows:  # in file and line order: the later one wins
            if (r["status"] == "measured") == measured:
                out[r["item_id"]] = r
    return out


def _precision(latest: list[dict]) -> dict:
    n, k = len(latest), sum(r["verdict"] == "correct" for r in latest)
    return {"sampled": n, "correct": k, "precision": round(k / n, 4), "ci95": list(wilson(k, n))}


def agreement(conn) -> dict | None:
    """The review figures (module docstring) of the verdicts in `conn`'s review_verdicts;
    None when nothing was reviewed."""
    rows = [
        dict(zip(_COLUMNS, r, strict=True))
        for r in conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM review_verdicts WHERE item IN ('statement', 'quote') "
            "AND verdict <> 'add_statement' ORDER BY review, line"
        ).fetchall()
    ]
    if not rows:
        return None
    out = {"orphaned": conn.execute("SELECT count(*) FROM review_verdicts WHERE status = 'orphaned'").fetchone()[0]}
    statements = [r for r in rows if r["item"] == "statement" and r["verdict"] in STATEMENT_VERDICTS]
    if statements:
        latest = list(_latest(statements).values())
        figures = _precision(latest)
        figures["verdicts"] = dict(sorted(Counter(r["verdict"] for r in latest).items()))
        figures["by_label"] = {
            label: _precision([r for r in latest if r["machine_stance"] == label])
            for label in STANCE_LABELS
            if any(r["machine_stance"] == label for r in latest)
        }
        pairs = [r for r in latest if r["verdict"] in ("correct", "wrong_stance", "wrong_actor")]
        figures["kappa"] = {
            "value": cohen_kappa(
                [r["machine_stance"] for r in pairs], [r["corrected_stance"] or r["machine_stance"] for r in pairs]
            ),
            "pairs": len(pairs),
        }
        figures.update(
            _coders(statements, lambda r: r["verdict"] + (f":{r['corrected_stance']}" if r["corrected_stance"] else ""))
        )
        figures["codebooks"] = sorted({f"{r['codebook']} {r['codebook_version']}" for r in latest})
        out["statements"] = figures
    quotes = [r for r in rows if r["item"] == "quote"]
    if quotes:
        figures = _precision(list(_latest(quotes).values()))
        figures.update(_coders(quotes, lambda r: r["verdict"]))
        out["quotes"] = figures
    return out


def _coders(rows: list[dict], value) -> dict:
    by_coder: dict[str, dict[str, str]] = {}
    for r in rows:
        by_coder.setdefault(r["coder"], {})[r["item_id"]] = value(r)
    shared = [i for i in {i for v in by_coder.values() for i in v} if sum(i in v for v in by_coder.values()) >= 2]
    dates = sorted(r["reviewed_at"] for r in rows)
    return {
        "coders": sorted(by_coder),
        "reviewed": [dates[0], dates[-1]],
        "alpha": {"value": krippendorff_alpha(by_coder), "items": len(shared)} if len(by_coder) > 1 else None,
    }


def _ci(f: dict) -> str:
    return f"{f['precision']:.2f} (95% CI {f['ci95'][0]:.2f}-{f['ci95'][1]:.2f}, Wilson)"


def _when(f: dict) -> str:
    when = f["reviewed"][0] if f["reviewed"][0] == f["reviewed"][1] else f"{f['reviewed'][0]} to {f['reviewed'][1]}"
    n = len(f["coders"])
    return f"reviewed {when} by {n} coder{'s' if n != 1 else ''}"


NOT_REVIEWED = "No statement or quote has been reviewed (`stancewire review sample`, docs/review.md)."


def summary_lines(figures: dict | None) -> list[str]:
    """The figures as sentences (the dataset card, `stancewire review report`)."""
    if not figures:
        return [NOT_REVIEWED]
    lines = []
    s = figures.get("statements")
    if s:
        lines.append(
            f"Of {s['sampled']} statements sampled and reviewed, {s['correct']} were correct: precision {_ci(s)}; "
            f"{_when(s)}; codebook {', '.join(s['codebooks'])}."
        )
        lines.append(
            "Per stance label: "
            + "; ".join(f"{label} {f['correct']}/{f['sampled']}, {_ci(f)}" for label, f in s["by_label"].items())
            + "."
        )
        lines.append("Verdicts: " + ", ".join(f"{v} {n}" for v, n in s["verdicts"].items()) + ".")
        k = s["kappa"]
        lines.append(
            f"Cohen’s kappa, machine vs coder stance: {k['value']:.2f} on {k['pairs']} statements both coded."
            if k["value"] is not None
            else f"Cohen’s kappa, machine vs coder stance: undefined on {k['pairs']} statements (one label only)."
        )
        lines += _alpha_line(s, "statements")
    q = figures.get("quotes")
    if q:
        lines.append(
            f"Of {q['sampled']} quotes sampled and reviewed, {q['correct']} were attributed correctly: precision {_ci(q)}; {_when(q)}."
        )
        lines += _alpha_line(q, "quotes")
    if figures.get("orphaned"):
        lines.append(
            f"{figures['orphaned']} correction(s) not applied: their statement, article or actor no longer exists "
            "(status orphaned in review_verdicts)."
        )
    return lines


def _alpha_line(f: dict, what: str) -> list[str]:
    a = f["alpha"]
    if a is None:
        return [f"Krippendorff’s alpha between coders: not measured (one coder; give the same {what} to a second)."]
    if a["value"] is None:
        return [
            f"Krippendorff’s alpha between coders: undefined on {a['items']} {what} (one value only, or none shared)."
        ]
    return [f"Krippendorff’s alpha between coders ({', '.join(f['coders'])}): {a['value']:.2f} on {a['items']} {what}."]
