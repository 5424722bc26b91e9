"""The review loop (`stancewire review`, issue 19): sample, fill, apply, re-run; the
corrections survive a codebook edit; every bad review file is refused by line, with
nothing stored; the agreement statistics against reference implementations."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import CODEBOOKS, make_settings, run

from cli.main import main as cli
from pipeline.review.agreement import cohen_kappa, krippendorff_alpha, wilson
from pipeline.review.corrections import ReviewError, check_review, conflicts, load_corrections
from pipeline.review.sample import allocate

# -- statistics and sampling (fast) ---------------------------------------------------------


def test_allocation_is_proportional_and_sums_to_n():
    sizes = {"a": 50, "b": 30, "c": 15, "d": 5}
    out = allocate(sizes, 20)
    assert sum(out.values()) == 20
    assert out == {"a": 10, "b": 6, "c": 3, "d": 1}
    assert allocate(sizes, 500) == sizes  # more asked than there are: all of them
    odd = allocate({"x": 1, "y": 1, "z": 1}, 2)
    assert sum(odd.values()) == 2 and max(odd.values()) == 1


def test_wilson_interval_matches_the_formula():
    k, n, z = 15, 20, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
    low, high = wilson(k, n)
    assert low == pytest.approx(centre - half, abs=1e-4) and high == pytest.approx(centre + half, abs=1e-4)


def test_cohen_kappa_agrees_with_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(7)
    labels = ["favor", "against", "neutral"]
    for _ in range(20):
        a = [rng.choice(labels) for _ in range(40)]
        b = [x if rng.random() < 0.7 else rng.choice(labels) for x in a]
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)
    assert cohen_kappa(["favor"] * 5, ["favor"] * 5) is None  # one label: undefined, not 1


def _alpha_two_coders(a: str, b: str) -> float:
    """Nominal alpha of two coders without missing values, from its definition: 1 - D_o / D_e
    over the coincidence matrix (2 x the disagreeing units, against the pairable values)."""
    from collections import Counter

    n = 2 * len(a)
    disagreeing = sum(x != y for x, y in zip(a, b, strict=True))
    marginals = Counter(a + b)
    return 1 - (n - 1) * 2 * disagreeing / (n * n - sum(c * c for c in marginals.values()))


def test_krippendorff_alpha_of_two_coders():
    same = {"ann": {"1": "correct", "2": "wrong_stance", "3": "correct"}}
    same["bob"] = dict(same["ann"])
    assert krippendorff_alpha(same) == 1.0
    a, b = "aabbdcccce", "bbbbddccce"
    two = {"A": {str(i): v for i, v in enumerate(a)}, "B": {str(i): v for i, v in enumerate(b)}}
    assert krippendorff_alpha(two) == pytest.approx(_alpha_two_coders(a, b), abs=1e-4)
    assert krippendorff_alpha({"ann": {"1": "x"}, "bob": {"2": "y"}}) is None  # nothing shared


def test_conflicting_verdicts_name_both_lines_and_coders():
    base = {"item": "statement", "item_id": "s1", "corrected_stance": None, "corrected_actor": None}
    base["corrected_actor_id"] = None
    lines = [
        {**base, "line": 4, "coder": "ann", "verdict": "correct"},
        {**base, "line": 9, "coder": "bob", "verdict": "not_a_statement"},
        {**base, "line": 12, "coder": "bob", "verdict": "correct"},  # agrees with line 4
    ]
    (problem,) = conflicts(lines)
    assert problem.startswith("9:") and "line 4" in problem and "ann and bob" in problem


def test_a_corrections_file_edited_into_nonsense_is_refused_by_name(tmp_path):
    folder = tmp_path / "corrections"
    folder.mkdir()
    (folder / "0001-ann.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReviewError, match="(?s)0001-ann.json: 1 problem.*not valid JSON"):
        load_corrections(folder)
    (folder / "0001-ann.json").write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(ReviewError, match="not a corrections file"):
        load_corrections(folder)
    assert load_corrections(tmp_path / "absent").files == []


# -- bad review files (on a copy of the seed run's warehouse) -------------------------------


def _sample(warehouse: Path, out: Path, n: int = 20, seed: int = 3) -> list[dict]:
    assert (
        cli(["review", "sample", "--n", str(n), "--seed", str(seed), "--out", str(out), "--warehouse", str(warehouse)])
        == 0
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for spreadsheets
    with open(out, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict], columns=None) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
    return path


@pytest.fixture
def sampled(seed_copy, tmp_path):
    rows = _sample(seed_copy, tmp_path / "review.csv")
    for r in rows:
        r["verdict"], r["coder"] = "correct", "ann"
    return seed_copy, tmp_path, rows


def _refused(warehouse: Path, folder: Path, path: Path, *expected: str) -> str:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        with pytest.raises(ReviewError) as err:
            check_review(conn, path, None, folder)
    finally:
        conn.close()
    message = str(err.value)
    for text in expected:
        assert text in message, message
    # and the command stores nothing
    assert cli(["review", "apply", str(path), "--warehouse", str(warehouse), "--corrections", str(folder)]) == 2
    assert not folder.exists() or not list(folder.glob("*.json"))
    return message


def test_unknown_statement_id_is_refused_with_its_line(sampled):
    warehouse, tmp, rows = sampled
    rows[4]["statement_id"] = "no-such-statement"
    _refused(warehouse, tmp / "corr", _write(tmp / "bad.csv", rows), "line 6: unknown statement id 'no-such-statement'")


def test_unknown_stance_label_is_refused(sampled):
    warehouse, tmp, rows = sampled
    rows[0]["verdict"], rows[0]["corrected_stance"] = "wrong_stance", "supportive"
    rows[1]["verdict"] = "maybe"
    _refused(
        warehouse,
        tmp / "corr",
        _write(tmp / "bad.csv", rows),
        "line 2: unknown stance label 'supportive'",
        "line 3: unknown verdict 'maybe'",
        "2 problem(s), nothing applied",
    )


def test_added_statement_outside_the_article_is_refused(sampled):
    warehouse, tmp, rows = sampled
    extra = {
        "verdict": "add_statement",
        "article_id": rows[0]["article_id"],
        "actor": "Keir Starmer",
        "actor_type": "person",
        "codebook": "ukraine-peacekeeping",
        "target": "peacekeeping_force",
        "stance": "favor",
        "evidence_char_start": "10",
        "evidence_char_end": "9999999",
    }
    _refused(
        warehouse,
        tmp / "corr",
        _write(tmp / "bad.csv", [*rows, extra]),
        f"line {len(rows) + 2}: add_statement: evidence offsets 10-9999999 are outside the article",
    )


def test_a_file_two_coders_edited_with_conflicting_verdicts_is_refused(sampled):
    warehouse, tmp, rows = sampled
    second = {**rows[2], "coder": "bob", "verdict": "not_a_statement"}
    _refused(
        warehouse,
        tmp / "corr",
        _write(tmp / "bad.csv", [*rows, second]),
        f"line {len(rows) + 2}: conflicting verdicts",
        "coders ann and bob",
    )


def test_a_file_that_is_not_utf8_or_has_no_verdicts_is_refused(sampled):
    warehouse, tmp, rows = sampled
    latin = tmp / "latin1.csv"
    latin.write_bytes("statement_id,verdict\nx,correct\nCaf\u00e9,correct\n".encode("latin-1"))
    _refused(warehouse, tmp / "corr", latin, "not UTF-8 text")
    empty = [{**r, "verdict": ""} for r in rows]
    _refused(warehouse, tmp / "corr", _write(tmp / "empty.csv", empty), "no line has a verdict")
    _refused(
        warehouse, tmp / "corr", _write(tmp / "cols.csv", rows, ["statement_id", "note"]), "missing column 'verdict'"
    )


def test_an_ambiguous_or_unknown_actor_merge_is_refused(sampled):
    warehouse, tmp, rows = sampled
    merge = {"verdict": "merge_actor", "actor": "Nobody Atall", "corrected_actor": "European Union"}
    _refused(
        warehouse,
        tmp / "corr",
        _write(tmp / "bad.csv", [*rows, merge]),
        f"line {len(rows) + 2}: unknown actor 'Nobody Atall'",
    )


def test_the_same_file_is_not_applied_twice(sampled):
    warehouse, tmp, rows = sampled
    good = _write(tmp / "good.csv", rows)
    folder = tmp / "corr"
    assert cli(["review", "apply", str(good), "--warehouse", str(warehouse), "--corrections", str(folder)]) == 0
    assert [p.name for p in folder.glob("*.json")] == ["0001-ann.json"]
    assert cli(["review", "apply", str(good), "--warehouse", str(warehouse), "--corrections", str(folder)]) == 2
    assert len(list(folder.glob("*.json"))) == 1


def test_a_corrected_actor_the_warehouse_lacks_is_stored_with_a_note(sampled, capsys):
    """A coder may name an actor the data does not have (a new person), or misspell one:
    either is stored, and `review apply` says which new actor it makes."""
    warehouse, tmp, rows = sampled
    rows[0]["verdict"], rows[0]["corrected_actor"] = "wrong_actor", "Nobody Atall"
    good = _write(tmp / "new-actor.csv", rows)
    capsys.readouterr()
    assert cli(["review", "apply", str(good), "--warehouse", str(warehouse), "--corrections", str(tmp / "c")]) == 0
    out = capsys.readouterr().out
    assert (
        "note: line 2: 'Nobody Atall' is no actor of the warehouse yet: it becomes the new actor person:nobody-atall"
        in out
    )


def test_each_warehouse_has_its_own_corrections_folder(sampled, monkeypatch):
    """Without --corrections, `review apply --warehouse W` stores into W's own folder and a run
    of another warehouse never reads it (before, every warehouse read data/corrections: one
    warehouse's merges and review figures reached another's release)."""
    from assets.resources import StancewireSettings
    from pipeline.settings import DEFAULT_CORRECTIONS, corrections_root, resolve

    monkeypatch.delenv("STANCEWIRE_CORRECTIONS", raising=False)
    warehouse, tmp, rows = sampled
    good = _write(tmp / "good.csv", rows)
    assert cli(["review", "apply", str(good), "--warehouse", str(warehouse)]) == 0
    own = warehouse.with_name(warehouse.name + ".corrections")
    assert [p.name for p in own.glob("*.json")] == ["0001-ann.json"]
    assert StancewireSettings(**resolve(warehouse=str(warehouse))).corrections_folder == own  # where its runs read
    other = tmp / "other.duckdb"
    assert StancewireSettings(**resolve(warehouse=str(other))).corrections_folder == tmp / "other.duckdb.corrections"
    # a file named warehouse.duckdb keeps corrections/ beside it, from any working directory
    assert corrections_root("data/warehouse.duckdb") == Path(DEFAULT_CORRECTIONS)
    assert corrections_root(str(tmp / "data" / "warehouse.duckdb")) == tmp / "data" / "corrections"
    assert corrections_root(str(other), str(own)) == own  # a folder named is taken as given


# -- the loop, end to end -------------------------------------------------------------------


def _continue_seed_run(seed_run, tmp: Path, **settings):
    """The seed run's warehouse, staging, parse cache and release folder, copied: a later
    run continues from there."""
    src, _, _ = seed_run
    for name in ("warehouse.duckdb", "warehouse.duckdb.staging", "parse-cache", "releases", "raw"):
        if (src / name).is_dir():
            shutil.copytree(src / name, tmp / name)
        elif (src / name).exists():
            shutil.copy(src / name, tmp / name)
    return make_settings(tmp, tmp / "raw", **settings)


def test_review_loop_end_to_end(seed_run, tmp_path):
    corrections = tmp_path / "corrections"
    settings = _continue_seed_run(seed_run, tmp_path, corrections_dir=str(corrections))
    warehouse = Path(settings.warehouse)
    rows = _sample(warehouse, tmp_path / "review.csv", n=20, seed=11)
    n = len(rows)  # 20, or every statement of the seed when the model codes fewer
    assert 12 <= n <= 20
    assert all(r["context"] and r["evidence"] in r["context"] for r in rows)
    assert {c for c in ("verdict", "corrected_stance", "corrected_actor", "note") if all(r[c] == "" for r in rows)} == {
        "verdict",
        "corrected_stance",
        "corrected_actor",
        "note",
    }
    flip = {"favor": "against", "against": "favor", "neutral": "favor"}
    for i, r in enumerate(rows):
        r["coder"] = "ann"
        r["verdict"] = "wrong_stance" if i < 3 else "not_a_statement" if i < 5 else "correct"
        if i < 3:
            r["corrected_stance"] = flip[r["stance"]]
    rows[5]["verdict"], rows[5]["corrected_actor"] = "wrong_actor", "Vladimir Putin"
    conn = duckdb.connect(str(warehouse), read_only=True)
    article_id, text = conn.execute("SELECT article_id, text FROM articles").fetchone()
    conn.close()
    start = text.index("The UK is on a collision course")
    end = text.index(".", start) + 1
    added = {
        "verdict": "add_statement",
        "article_id": article_id,
        "actor": "Keir Starmer",
        "actor_type": "person",
        "country": "GBR",
        "codebook": "ukraine-peacekeeping",
        "target": "peacekeeping_force",
        "stance": "favor",
        "evidence_char_start": str(start),
        "evidence_char_end": str(end),
    }
    merge = {"verdict": "merge_actor", "actor": "Kremlin", "corrected_actor": "Russia"}
    rename = {"verdict": "rename_actor", "actor": "McMaster", "corrected_actor": "H.R. McMaster"}
    edits = [{**added, "coder": "ann"}, {**merge, "coder": "ann"}, {**rename, "coder": "ann"}]
    filled = _write(tmp_path / "filled.csv", [*rows, *edits])
    assert cli(["review", "apply", str(filled), "--warehouse", str(warehouse), "--corrections", str(corrections)]) == 0

    outcome = run(settings, tmp_path / "dagster")
    assert outcome.ok, outcome.reason
    _check_corrected(warehouse, rows, start, end)
    releases = Path(settings.releases_dir)
    version = (releases / "LATEST").read_text().strip()
    assert version == "v1.1.0"
    manifest = json.loads((releases / version / "manifest.json").read_text())
    review = manifest["review"]["statements"]
    correct = n - 6  # 3 wrong stances, 2 not statements, 1 wrong actor
    assert (review["sampled"], review["correct"]) == (n, correct)
    assert review["ci95"][0] < correct / n < review["ci95"][1]
    assert review["kappa"]["pairs"] == n - 2  # correct, wrong_stance and wrong_actor
    card = (releases / version / "README.md").read_text()
    summary = f"Of {n} statements sampled and reviewed, {correct} were correct: precision {correct / n:.2f}"
    assert summary in card.replace("\\", "")
    package = json.loads((releases / version / "datapackage.json").read_text())
    assert package["stancewire:review"]["figures"]["statements"]["correct"] == correct
    changelog = (releases / version / "CHANGELOG.md").read_text().replace("\\", "")
    assert "### Review corrections" in changelog and f"{n + 3} review lines added" in changelog
    _check_network_and_aliases(releases, version, tmp_path)
    assert "| stances | " in changelog and f"| review_verdicts | 0 | {n + 3} | {n + 3} | 0 | 0 |" in changelog

    # a codebook edit re-codes every article: the corrections still hold
    books = tmp_path / "codebooks"
    shutil.copytree(CODEBOOKS, books)
    ukraine = books / "ukraine-peacekeeping.yaml"
    ukraine.write_text(ukraine.read_text().replace('version: "1.0"', 'version: "1.1"'), encoding="utf-8")
    settings = make_settings(
        tmp_path,
        tmp_path / "raw",
        corrections_dir=str(corrections),
        codebooks=[str(p) for p in sorted(books.glob("*.yaml"))],
    )
    outcome = run(settings, tmp_path / "dagster")
    assert outcome.ok, outcome.reason
    _check_corrected(warehouse, rows, start, end)
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute(
        "SELECT DISTINCT codebook_version FROM stances WHERE codebook = 'ukraine-peacekeeping'"
    ).fetchall() == [("1.1",)]
    conn.close()

    # the report, and the export for hand coding in Discourse Network Analyzer
    assert cli(["review", "report", "--warehouse", str(warehouse), "--json"]) == 0
    dna = tmp_path / "statements.csv"
    assert cli(["export", "statements", "--format", "dna", "--out", str(dna), "--warehouse", str(warehouse)]) == 0
    with open(dna, encoding="utf-8", newline="") as fh:
        exported = list(csv.DictReader(fh))
    starmer = next(r for r in exported if r["coder"] == "manual" and r["review_verdict"] == "added")
    assert (starmer["person"], starmer["organization"], starmer["agreement"]) == ("Keir Starmer", "", "yes")
    assert {r["person"] for r in exported if r["actor_id"] == "person:mcmaster"} == {"H.R. McMaster"}  # renamed
    assert {r["agreement"] for r in exported} <= {"yes", "no", "neutral"}


def _check_corrected(warehouse: Path, rows: list[dict], start: int, end: int) -> None:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        stances = {
            r[0]: r[1:]
            for r in conn.execute("SELECT statement_id, stance, method, review_verdict FROM stances").fetchall()
        }
        for r in rows[:3]:
            assert stances[r["statement_id"]] == (r["corrected_stance"], "manual", "wrong_stance")
        for r in rows[3:5]:
            assert r["statement_id"] not in stances
        assert stances[rows[5]["statement_id"]][1:] == ("manual", "wrong_actor")
        assert conn.execute(
            "SELECT actor_id, actor FROM stances WHERE statement_id = ?", [rows[5]["statement_id"]]
        ).fetchone() == ("person:vladimir-putin", "Vladimir Putin")
        for r in rows[6:]:
            assert stances[r["statement_id"]][2] == "correct"
            assert stances[r["statement_id"]][1] != "manual"
        (added,) = conn.execute(
            "SELECT actor_id, stance, evidence_char_start, evidence_char_end, method FROM stances "
            "WHERE review_verdict = 'added'"
        ).fetchall()
        assert added == ("person:keir-starmer", "favor", start, end, "manual")
        # the merge: one actor left, nothing refers to the merged one
        assert conn.execute("SELECT count(*) FROM actors WHERE actor_id = 'organization:kremlin'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM mentions WHERE actor_id = 'organization:kremlin'").fetchone() == (0,)
        assert (
            conn.execute(
                "SELECT count(*) FROM mentions WHERE actor_id = 'country:RUS' AND text LIKE '%Kremlin%'"
            ).fetchone()[0]
            >= 1
        )
        assert conn.execute("SELECT name FROM actors WHERE actor_id = 'person:mcmaster'").fetchone() == (
            "H.R. McMaster",
        )
        statuses = dict(conn.execute("SELECT status, count(*) FROM review_verdicts GROUP BY status").fetchall())
        assert statuses == {"applied": len(rows) + 3}  # the sampled lines and the three edits
    finally:
        conn.close()


# -- applying corrections to a warehouse (a copy of the seed run's) -------------------------


def _apply(warehouse: Path, folder: Path):
    from pipeline.review.apply import apply_corrections

    conn = duckdb.connect(str(warehouse))
    try:
        report = apply_corrections(conn, load_corrections(folder))
        statuses = dict(
            conn.execute("SELECT item_id, status || ' ' || coalesce(applied_to, '') FROM review_verdicts").fetchall()
        )
        return report, statuses
    finally:
        conn.close()


def test_a_verdict_follows_its_statement_when_re_coding_changes_its_id_and_is_reported_when_it_is_gone(sampled):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    rows[0]["verdict"], rows[0]["corrected_stance"] = (
        "wrong_stance",
        {"favor": "against"}.get(rows[0]["stance"], "favor"),
    )
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "r.csv", rows)),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    moved, gone = rows[0]["statement_id"], rows[1]["statement_id"]
    conn = duckdb.connect(str(warehouse))
    # a re-code that codes the first statement with another stance (another id) and no longer finds the second
    conn.execute("UPDATE coded_stances SET statement_id = statement_id || ':recoded' WHERE statement_id = ?", [moved])
    conn.execute("DELETE FROM coded_stances WHERE statement_id = ?", [gone])
    conn.execute("UPDATE stage_state SET fingerprint = 'recoded' WHERE stage = 'stances'")
    conn.close()
    report, statuses = _apply(warehouse, folder)
    assert statuses[moved] == f"applied {moved}:recoded"
    assert statuses[gone] == "orphaned "
    (orphan,) = report.orphaned
    assert orphan.startswith("0001-ann line 3: correct on statement " + gone) and "re-coding" in orphan
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute(
        "SELECT stance, review_verdict FROM stances WHERE statement_id = ?", [moved + ":recoded"]
    ).fetchone() == (
        rows[0]["corrected_stance"],
        "wrong_stance",
    )
    conn.close()


def test_a_merge_taken_back_asks_for_a_rebuild(sampled):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    merge = {"verdict": "merge_actor", "actor": "Kremlin", "corrected_actor": "Russia", "coder": "ann"}
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "m.csv", [*rows, merge])),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    report, statuses = _apply(warehouse, folder)
    assert statuses["organization:kremlin"] == "applied organization:kremlin"
    for f in folder.glob("*.json"):
        f.unlink()
    with pytest.raises(ReviewError, match="stancewire rebuild"):
        _apply(warehouse, folder)


def test_verdicts_that_find_no_overlapping_evidence_are_orphaned_not_moved(sampled):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    rows[0]["verdict"] = "not_a_statement"
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "r.csv", rows)),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    sid = rows[0]["statement_id"]
    conn = duckdb.connect(str(warehouse))
    # re-coded: the same actor on the same target, but from other evidence (another stance)
    conn.execute(
        "UPDATE coded_stances SET statement_id = statement_id || ':other', evidence_char_start = evidence_char_end + 500, "
        "evidence_char_end = evidence_char_end + 600 WHERE statement_id = ?",
        [sid],
    )
    conn.execute("UPDATE stage_state SET fingerprint = 'recoded' WHERE stage = 'stances'")
    conn.close()
    report, statuses = _apply(warehouse, folder)
    assert statuses[sid] == "orphaned "
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute("SELECT count(*) FROM stances WHERE statement_id = ?", [sid + ":other"]).fetchone() == (1,)
    conn.close()
    # the run's own summary says so, not only its log and the dataset card
    from assets.runner import _summary
    from pipeline.storage.warehouse import Warehouse

    assert "1 coder verdict(s) not in force" in _summary(Warehouse(warehouse), None, None)


def test_a_merge_chain_grows_without_a_rebuild_and_a_new_actor_gets_the_type_given(sampled):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    first = [{"verdict": "merge_actor", "actor": "Mar-A-Lago", "corrected_actor": "White House", "coder": "ann"}]
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "a.csv", first)),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    _apply(warehouse, folder)
    rows[0]["verdict"], rows[0]["corrected_actor"], rows[0]["corrected_actor_type"] = "wrong_actor", "Poland", "country"
    rows[1]["verdict"], rows[1]["corrected_actor"] = "wrong_actor", "Jane Newname"
    more = [{"verdict": "merge_actor", "actor": "White House", "corrected_actor": "Donald Trump", "coder": "bob"}]
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "b.csv", [*rows, *more])),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    _apply(warehouse, folder)  # Mar-A-Lago -> White House -> Trump: Mar-A-Lago's rows move on, no rebuild needed
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute(
        "SELECT count(*) FROM mentions WHERE actor_id IN ('organization:mar-a-lago', 'organization:white-house')"
    ).fetchone() == (0,)
    assert conn.execute(
        "SELECT count(*) FROM mentions WHERE actor_id = 'person:donald-trump' AND text LIKE '%Mar-A-Lago%'"
    ).fetchone() == (1,)
    ids = dict(conn.execute("SELECT statement_id, actor_id || ' ' || actor_type FROM stances").fetchall())
    assert ids[rows[0]["statement_id"]] == "country:POL country"
    assert ids[rows[1]["statement_id"]] == "person:jane-newname person"
    conn.close()


def test_an_added_statement_follows_its_evidence_when_the_article_text_shifts(sampled):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    conn = duckdb.connect(str(warehouse), read_only=True)
    article_id, text = conn.execute("SELECT article_id, text FROM articles").fetchone()
    conn.close()
    start = text.index("The UK is on a collision course")
    end = text.index(".", start) + 1
    added = {
        "verdict": "add_statement", "article_id": article_id, "actor": "Keir Starmer", "actor_type": "person",
        "codebook": "ukraine-peacekeeping", "target": "peacekeeping_force", "stance": "favor",
        "evidence_char_start": str(start), "evidence_char_end": str(end), "coder": "ann",
    }  # fmt: skip
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "a.csv", [added])),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    conn = duckdb.connect(str(warehouse))
    conn.execute("UPDATE articles SET text = 'Updated. ' || text")  # the cleaning changed: offsets shift by 9
    conn.close()
    _apply(warehouse, folder)
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute(
        "SELECT evidence_char_start, evidence_char_end FROM stances WHERE review_verdict = 'added'"
    ).fetchone() == (start + 9, end + 9)
    conn.close()


def test_a_second_coder_for_reliability_is_measured_not_applied(sampled, capsys):
    warehouse, tmp, rows = sampled
    folder = tmp / "corr"
    assert (
        cli(
            [
                "review",
                "apply",
                str(_write(tmp / "ann.csv", rows)),
                "--warehouse",
                str(warehouse),
                "--corrections",
                str(folder),
            ]
        )
        == 0
    )
    bob = [{**r, "coder": "bob"} for r in rows]
    bob[0]["verdict"] = "not_a_statement"
    capsys.readouterr()
    args = ["review", "apply", str(_write(tmp / "bob.csv", bob)), "--warehouse", str(warehouse)]
    assert cli([*args, "--corrections", str(folder), "--reliability"]) == 0
    out = capsys.readouterr().out
    assert (
        "1 line(s) disagree with earlier review files" in out
        and "line 2: bob says not_a_statement, ann said correct" in out
    )
    report, statuses = _apply(warehouse, folder)
    conn = duckdb.connect(str(warehouse), read_only=True)
    assert conn.execute(
        "SELECT review_verdict FROM stances WHERE statement_id = ?", [rows[0]["statement_id"]]
    ).fetchone() == ("correct",)
    from pipeline.review.agreement import agreement

    figures = agreement(conn)["statements"]
    conn.close()
    n = len(rows)
    assert (figures["sampled"], figures["correct"]) == (n, n)  # ann's verdicts are the ones in force
    assert figures["coders"] == ["ann", "bob"] and figures["alpha"]["items"] == n


def test_spreadsheet_habits_are_read_semicolons_and_capitals_but_a_correction_needs_a_verdict(sampled):
    warehouse, tmp, rows = sampled
    rows[0]["verdict"] = "Correct"
    path = tmp / "semicolons.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        w.writeheader()
        w.writerows(rows)
    conn = duckdb.connect(str(warehouse), read_only=True)
    kind, entries = check_review(conn, path, None, tmp / "corr")
    conn.close()
    assert kind == "statements" and len(entries) == len(rows) and entries[0]["verdict"] == "correct"
    rows[1]["verdict"], rows[1]["corrected_stance"] = "", "favor"
    _refused(warehouse, tmp / "corr", _write(tmp / "bad.csv", rows), "line 3: a correction without a verdict")


def test_a_coder_keeps_apart_what_stancewire_joined_and_a_reverse_merge_does_not_loop():
    from pipeline.review.apply import _Line, merge_map

    def merge(a, b):
        entry = {"verdict": "merge_actor", "actor_id": a, "corrected_actor_id": b}
        return _Line("0001-ann", "2026-12-02", entry)

    automatic = {"person:obama": "person:barack-obama", "person:hillary-rodham-clinton": "person:hillary-clinton"}
    lines = [merge("person:obama", "person:obama"), merge("person:hillary-clinton", "person:hillary-rodham-clinton")]
    assert merge_map(lines, automatic) == {"person:hillary-clinton": "person:hillary-rodham-clinton"}


def _check_network_and_aliases(releases: Path, version: str, tmp_path: Path) -> None:
    """The merged actor is gone from the release's network export, and the earlier
    release's statements join the new release's actors through `actor_aliases`."""
    import networkx as nx

    new, old = releases / version, releases / "v1.0.0"
    aliases = dict(duckdb.sql(f"SELECT alias_id, actor_id FROM '{new}/actor_aliases.parquet'").fetchall())
    assert aliases["organization:kremlin"] == "country:RUS"
    graph = tmp_path / "network.graphml"
    args = ["export", "network", "--format", "graphml", "--out", str(graph), "--release", version]
    assert cli([*args, "--releases", str(releases)]) == 0
    nodes = set(nx.read_graphml(graph).nodes)
    assert nodes and "organization:kremlin" not in nodes
    actors = {a for (a,) in duckdb.sql(f"SELECT actor_id FROM '{new}/actors.parquet'").fetchall()}
    assert nodes <= actors
    for table in ("stances", "mentions"):
        old_ids = {a for (a,) in duckdb.sql(f"SELECT DISTINCT actor_id FROM '{old}/{table}.parquet'").fetchall()}
        old_ids.discard(None)
        assert old_ids and {aliases.get(a, a) for a in old_ids} <= actors  # old ids read through the alias table
    assert "organization:kremlin" in old_ids  # the earlier release's mentions name the merged id


@pytest.mark.slow
def test_a_merge_taken_back_is_undone_by_a_rebuild(tmp_path):
    """A coder merges a statement's holder into another actor; the corrections file is then
    removed. The next run asks for `stancewire rebuild`, and the rebuild gives back the
    dataset of before the merge, file for file (the holder's stance-stage reference, which
    the merge rewrote, is coded again: without that the holder had no actor and the release
    blocked)."""
    import dagster as dg
    from conftest import SEED

    from assets.runner import run_pipeline
    from pipeline.release import versions

    (tmp_path / "in").mkdir()
    shutil.copy(SEED, tmp_path / "in" / SEED.name)
    settings = make_settings(tmp_path, tmp_path / "in")
    assert run(settings, tmp_path / "home").ok
    conn = duckdb.connect(settings.warehouse, read_only=True)
    holder, other = conn.execute(
        "SELECT s.actor_id, (SELECT min(a.actor_id) FROM actors a WHERE a.actor_id <> s.actor_id "
        "AND a.actor_type = 'country') FROM stances s ORDER BY s.statement_id LIMIT 1"
    ).fetchone()
    conn.close()
    merge = {"verdict": "merge_actor", "actor": holder, "corrected_actor": other, "coder": "ann"}
    folder = tmp_path / "corrections"  # the warehouse's own (it is named warehouse.duckdb)
    review = ["review", "apply", str(_write(tmp_path / "m.csv", [merge])), "--warehouse", settings.warehouse]
    assert cli(review) == 0 and list(folder.glob("*.json"))
    assert run(settings, tmp_path / "home").ok  # v1.1.0: the merge in every table
    for f in folder.glob("*.json"):
        f.unlink()
    refused = run(settings, tmp_path / "home")
    assert not refused.ok and "stancewire rebuild" in refused.reason
    with dg.DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        rebuilt = run_pipeline(settings, instance=instance, rebuild=True)
    assert rebuilt.ok, rebuilt.reason
    releases = tmp_path / "releases"
    assert versions.current_version(releases) == "v1.2.0"
    first, last = versions.read_manifest(releases, "v1.0.0"), versions.read_manifest(releases, "v1.2.0")
    assert {t: e["sha256"] for t, e in first["tables"].items()} == {t: e["sha256"] for t, e in last["tables"].items()}
