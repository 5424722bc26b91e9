"""`stancewire review sample | apply | report` (docs/review.md walks through the loop)."""

from __future__ import annotations

import json
from pathlib import Path

from cli.common import UsageError, fail, open_data


def main(args) -> int:
    try:
        if args.review_command == "sample":
            return cmd_sample(args)
        if args.review_command == "apply":
            return cmd_apply(args)
        return cmd_report(args)
    except UsageError as e:
        return fail(str(e))


def cmd_sample(args) -> int:
    from pipeline.review.sample import sample_quotes, sample_statements, write_review_csv

    if args.n < 1:
        return fail("--n must be at least 1")
    args.release = None
    with open_data(args) as (conn, source):
        rows = (sample_quotes if args.quotes else sample_statements)(conn, args.n, args.seed)
    what = "quotes" if args.quotes else "statements"
    if not rows:
        return fail(f"no {what} in {source} to sample")
    out = Path(args.out)
    write_review_csv(out, rows, args.quotes, args.seed)
    strata = {r["stratum"]: r["stratum_size"] for r in rows}
    print(
        f"wrote {out}: {len(rows)} {what}, drawn from {len(strata)} strata holding {sum(strata.values())} "
        f"(seed {args.seed}) in {source}"
    )
    print(
        "fill the verdict column ("
        + (
            "correct / wrong_speaker / not_a_quote"
            if args.quotes
            else "correct / wrong_stance / wrong_actor / not_a_statement"
        )
        + f"), then: stancewire review apply {out}"
        + (f" --warehouse {args.warehouse}" if getattr(args, "warehouse", None) else "")
    )
    return 0


def cmd_apply(args) -> int:
    from pipeline.review.corrections import ReviewError, check_review, disagreements, write_corrections
    from pipeline.settings import DEFAULT_WAREHOUSE, corrections_root, resolve

    values = resolve(warehouse=getattr(args, "warehouse", None), corrections_dir=args.corrections)
    folder = corrections_root(values["warehouse"], values["corrections_dir"])
    path = Path(args.file)
    if not path.is_file():
        return fail(f"no review file at {path}")
    args.release = None
    try:
        with open_data(args) as (conn, _):
            kind, entries = check_review(conn, path, args.coder, folder)
            new_actors = [] if args.reliability else _new_actors(conn, entries)
            books = conn.execute("SELECT DISTINCT codebook FROM codebook_targets ORDER BY 1").fetchall()
    except ReviewError as e:
        return fail(str(e))
    differ = disagreements(entries, folder)
    purpose = "reliability" if args.reliability else "corrections"
    stored = write_corrections(folder, path, kind, entries, purpose)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["verdict"]] = counts.get(e["verdict"], 0) + 1
    print(
        f"stored {len(entries)} lines of {path} as {stored}: "
        + ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
    )
    for line in new_actors:
        print(f"note: {line}")
    if differ:
        print(f"{len(differ)} line(s) disagree with earlier review files:")
        for line in differ[:20]:
            print(f"  {line}")
        if purpose == "corrections":
            print(
                "  this file's verdicts are the ones in force from the next run; for a second coder whose "
                "verdicts only measure agreement, apply with --reliability instead"
            )
    if purpose == "reliability" or kind == "quotes":
        print("its verdicts count in the agreement figures (`stancewire review report`); they change no statement")
    else:
        own = corrections_root(values["warehouse"], resolve()["corrections_dir"])  # what a run of it reads
        where = "" if values["warehouse"] == DEFAULT_WAREHOUSE else f" --warehouse {values['warehouse']}"
        where += "" if folder.resolve() == own.resolve() else f" --corrections {folder}"
        coded = ", ".join(b for (b,) in books) or "no codebook yet"
        print(
            f"they take effect with the warehouse's next run, as you run it (its --input and --codebook: a run "
            f"without them reads data/raw and every codebook in data/codebooks), or with `stancewire rebuild{where} "
            f"--codebook ...` naming the codebooks it is coded with ({coded})"
        )
    return 0


def _new_actors(conn, entries: list[dict]) -> list[str]:
    """The lines that name an actor the warehouse does not have: a new actor is made, which
    is what a coder means, or a misspelt name (then a later file's line replaces it)."""
    out = []
    for e in entries:
        if e["verdict"] == "wrong_actor":
            name, new_id = e["corrected_actor"], e["corrected_actor_id"]
        elif e["verdict"] == "add_statement":
            name, new_id = e["actor"], e["actor_id"]
        else:
            continue
        if new_id and not conn.execute("SELECT 1 FROM actors WHERE actor_id = ?", [new_id]).fetchone():
            out.append(
                f"line {e['line']}: {name!r} is no actor of the warehouse yet: it becomes the new actor {new_id} "
                "(if the name is misspelt, apply a file whose line on the same statement corrects it)"
            )
    return out


def cmd_report(args) -> int:
    from pipeline.review.agreement import agreement, summary_lines

    with open_data(args) as (conn, source):
        has_table = conn.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'review_verdicts' "
            "UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = 'review_verdicts'"
        ).fetchall()
        if not any(n for (n,) in has_table):
            raise UsageError(f"{source} has no review_verdicts table (made before `stancewire review` existed)")
        figures = agreement(conn)
        orphaned = conn.execute(
            "SELECT review, line, verdict, item, item_id FROM review_verdicts WHERE status = 'orphaned' "
            "ORDER BY review, line"
        ).fetchall()
    if args.json:
        print(json.dumps({"source": source, "figures": figures, "orphaned": [list(o) for o in orphaned]}, indent=2))
        return 0
    print(f"Review figures of {source}")
    for line in summary_lines(figures):
        print(f"  {line}")
    if orphaned:
        print(f"{len(orphaned)} correction(s) not applied (their statement or article no longer exists):")
        for review, line, verdict, item, item_id in orphaned:
            print(f"  {review} line {line}: {verdict} on {item} {item_id}")
    return 0
