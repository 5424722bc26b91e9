"""A warehouse's batches are its own: each warehouse file has its staging folder
(`<file>.staging`), two warehouses in one folder never see each other's batches, a rebuild
beside an older warehouse gives that warehouse's first release byte for byte, and a
warehouse moved with or without its staging folder works or says what to do."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from batch_corpus import article
from conftest import CODEBOOKS, make_settings, run

from pipeline.storage.staging import Staging, StagingMismatch


def _drop(folder: Path, first: int, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(first, first + n):
        (folder / f"article-{i}.txt").write_text(article(i), encoding="utf-8")
    return folder


def _articles(warehouse: Path) -> set[str]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in conn.execute("SELECT source_file FROM articles").fetchall()}
    finally:
        conn.close()


def _release_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def _settings(out: Path, name: str, drop: Path, **kw):
    return make_settings(
        out, drop, warehouse=str(out / f"{name}.duckdb"), releases_dir=str(out / f"{name}-releases"), **kw
    )


@pytest.fixture(scope="module")
def two_warehouses(tmp_path_factory):
    """out/a.duckdb from folder A, out/b.duckdb from folder B, then A's folder B too."""
    tmp = tmp_path_factory.mktemp("two_warehouses")
    out = tmp / "out"
    drop_a, drop_b = _drop(tmp / "A", 0, 2), _drop(tmp / "B", 2, 2)
    outcomes = {
        "a": run(_settings(out, "a", drop_a), tmp / "dagster"),
        "b": run(_settings(out, "b", drop_b), tmp / "dagster"),
    }
    first_release = _release_files(out / "a-releases" / "v1.0.0")
    outcomes["a+b"] = run(_settings(out, "a", drop_b), tmp / "dagster")
    return tmp, out, outcomes, first_release


def test_two_warehouses_in_one_folder_hold_only_their_own_batches(two_warehouses):
    tmp, out, outcomes, _ = two_warehouses
    assert all(o.ok for o in outcomes.values()), {k: o.reason for k, o in outcomes.items()}
    assert _articles(out / "b.duckdb") == {"article-2.txt", "article-3.txt"}
    assert _articles(out / "a.duckdb") == {f"article-{i}.txt" for i in range(4)}
    assert (out / "a.duckdb.staging" / "batches" / "A").is_dir() and not (
        out / "b.duckdb.staging" / "batches" / "A"
    ).exists()
    assert (out / "parse-cache").is_dir()  # the parse cache is shared by the folder's warehouses
    b_release = _release_files(out / "b-releases" / "v1.0.0")
    ids = duckdb.sql(f"SELECT source_file FROM '{out / 'b-releases' / 'v1.0.0' / 'articles.parquet'}'").fetchall()
    assert sorted(r[0] for r in ids) == ["article-2.txt", "article-3.txt"] and b_release


def test_a_rebuild_beside_a_bigger_warehouse_gives_the_first_release_byte_for_byte(two_warehouses):
    tmp, out, _, first_release = two_warehouses
    outcome = run(_settings(out, "rebuild", tmp / "A"), tmp / "dagster")
    assert outcome.ok, outcome.reason
    rebuilt = _release_files(out / "rebuild-releases" / "v1.0.0")
    assert rebuilt.keys() == first_release.keys() and len(rebuilt) >= 8
    assert rebuilt == first_release


def test_a_warehouse_renamed_with_its_staging_keeps_working(two_warehouses, tmp_path):
    tmp, out, _, _ = two_warehouses
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(out / "b.duckdb", moved / "renamed.duckdb")
    shutil.copytree(out / "b.duckdb.staging", moved / "renamed.duckdb.staging")
    # One codebook, given a term every article holds ("Ukraine"): every stored article is
    # coded again, from parses this folder has no cache of (the parse cache stayed behind):
    # the stance step parses them again.
    source = sorted(CODEBOOKS.glob("*.yaml"))[0]
    book = str(tmp_path / source.name)
    Path(book).write_text(
        source.read_text(encoding="utf-8").replace("terms: [backstop,", "terms: [backstop, Ukraine,"), encoding="utf-8"
    )
    outcome = run(_settings(moved, "renamed", _drop(tmp_path / "C", 4, 1), codebooks=[book]), tmp_path / "dagster")
    assert outcome.ok, outcome.message
    assert _articles(moved / "renamed.duckdb") == {"article-2.txt", "article-3.txt", "article-4.txt"}
    conn = duckdb.connect(str(moved / "renamed.duckdb"), read_only=True)
    try:
        shas = [r[0] for r in conn.execute("SELECT text_sha256 FROM articles").fetchall()]
        coded = conn.execute("SELECT count(*) FROM stage_state WHERE stage = 'stances'").fetchone()[0]
    finally:
        conn.close()
    assert coded == 3 and all(list((moved / "parse-cache").rglob(f"{sha}.spacy")) for sha in shas)


def test_a_warehouse_moved_without_its_staging_fails_clearly_and_loses_nothing(two_warehouses, tmp_path):
    tmp, out, _, _ = two_warehouses
    shutil.copy(out / "b.duckdb", tmp_path / "b2.duckdb")
    outcome = run(_settings(tmp_path, "b2", _drop(tmp_path / "C", 4, 1)), tmp_path / "dagster")
    assert not outcome.ok
    assert "has loaded batches (B) that its staging folder" in outcome.reason
    assert "move its staging folder along with it" in outcome.reason
    assert _articles(tmp_path / "b2.duckdb") == {"article-2.txt", "article-3.txt"}  # nothing rebuilt away


def test_one_staging_folder_given_to_two_warehouses_is_refused(two_warehouses, tmp_path):
    tmp, out, _, _ = two_warehouses
    shared = str(out / "a.duckdb.staging")
    outcome = run(
        _settings(tmp_path, "intruder", _drop(tmp_path / "C", 4, 1), staging_dir=shared), tmp_path / "dagster"
    )
    assert not outcome.ok
    assert "holds the batches of the warehouse" in outcome.reason and "a.duckdb" in outcome.reason
    assert "StagingMismatch" not in outcome.reason  # our own errors are shown without their class
    assert not (Path(shared) / "batches" / "C").exists()  # nothing written into a's folder
    assert not (tmp_path / "intruder.duckdb").exists() or not _articles(tmp_path / "intruder.duckdb")


def test_the_loader_refuses_a_staging_folder_of_another_warehouse(tmp_path):
    """The loader's check is by the id inside the warehouse file, not by path."""
    staging = Staging(tmp_path / "s", warehouse=tmp_path / "w.duckdb")
    staging.write_owner("other-id", tmp_path / "elsewhere.duckdb")
    with pytest.raises(StagingMismatch, match="holds the batches of the warehouse .*elsewhere.duckdb, not of"):
        staging.claim("my-id", [])
    staging.claim("other-id", [])  # its own, moved here: fine, and now recorded at this path
    assert staging.read_owner() == {"warehouse_id": "other-id", "warehouse": str((tmp_path / "w.duckdb").resolve())}
    with pytest.raises(StagingMismatch, match="earlier warehouse file at .*Delete the folder to start afresh"):
        staging.claim("new-id", [])  # a new warehouse file made at the same path is not given them


def test_a_folder_first_staged_for_another_warehouse_is_refused_before_anything_is_written(tmp_path):
    """The first stage marks the folder (by path) before the warehouse has an id: a second
    warehouse given the same folder is refused even if the first never loaded."""
    first = Staging(tmp_path / "shared", warehouse=tmp_path / "first.duckdb")
    first.check_writer()
    assert first.read_owner() == {"warehouse_id": None, "warehouse": str((tmp_path / "first.duckdb").resolve())}
    with pytest.raises(StagingMismatch, match="first.duckdb, not of"):
        Staging(tmp_path / "shared", warehouse=tmp_path / "second.duckdb").check_writer()
    with pytest.raises(StagingMismatch):
        Staging(tmp_path / "shared", warehouse=tmp_path / "second.duckdb").claim("second-id", [])
    first.claim("first-id", [])  # the first warehouse's loader adds its id
    assert first.read_owner()["warehouse_id"] == "first-id"


def test_a_deleted_warehouse_is_not_revived_from_its_staging_folder(two_warehouses, tmp_path):
    tmp, out, _, _ = two_warehouses
    shutil.copytree(out, tmp_path / "out")
    folder = Staging(tmp_path / "out" / "b.duckdb.staging")
    folder.write_owner(folder.read_owner()["warehouse_id"], tmp_path / "out" / "b.duckdb")  # as if made here
    (tmp_path / "out" / "b.duckdb").unlink()
    outcome = run(_settings(tmp_path / "out", "b", _drop(tmp_path / "C", 4, 1)), tmp_path / "dagster")
    assert not outcome.ok and "earlier warehouse file at" in outcome.reason, outcome.message
    assert not (tmp_path / "out" / "b.duckdb").exists() or not _articles(tmp_path / "out" / "b.duckdb")


def test_a_copied_warehouse_is_told_to_copy_the_folder_not_move_it(two_warehouses, tmp_path):
    tmp, out, _, _ = two_warehouses
    shutil.copytree(out, tmp_path / "out")
    shutil.copy(tmp_path / "out" / "b.duckdb", tmp_path / "out" / "c.duckdb")
    outcome = run(_settings(tmp_path / "out", "c", _drop(tmp_path / "C", 4, 1)), tmp_path / "dagster")
    assert not outcome.ok
    assert "b.duckdb still uses: copy it to" in outcome.reason and "c.duckdb.staging" in outcome.reason


def test_a_folder_named_like_another_folders_batch_is_refused_before_anything_is_written(tmp_path):
    """A batch is named after its folder: a second folder called "raw" would replace the
    first one's articles. Unless --batch names it, staging it is refused, saying what to do."""
    from pipeline.steps.per_batch import SOURCE_FILE, BatchFolderConflict, folder_conflict, stage_files

    staging = Staging(tmp_path / "w.duckdb.staging", warehouse=tmp_path / "w.duckdb")
    first, second = _drop(tmp_path / "a" / "raw", 0, 1), _drop(tmp_path / "b" / "raw", 1, 1)
    staging.batch_dir("raw").mkdir(parents=True)
    (staging.batch_dir("raw") / SOURCE_FILE).write_text(f'{{"input_dir": "{first.resolve()}"}}', encoding="utf-8")
    assert folder_conflict(staging, "raw", first) is None  # the same folder again: replaced, as before
    assert folder_conflict(staging, "new", second) is None  # a batch never staged
    with pytest.raises(BatchFolderConflict) as refused:
        stage_files(second, "raw", staging, "code")
    message = str(refused.value)
    assert str(first.resolve()) in message and str(second.resolve()) in message
    assert "--batch NAME" in message and "--batch raw to replace" in message and "same batch name" in message
    assert sorted(p.name for p in staging.batch_dir("raw").iterdir()) == [SOURCE_FILE]  # nothing written
    stage_files(second, "raw", staging, "code", named=True)  # --batch raw: the batch is replaced
    assert folder_conflict(staging, "raw", second) is None and folder_conflict(staging, "raw", first)


def test_two_folders_of_one_name_need_the_batch_named(tmp_path):
    """On the command line (the batch step refuses it, as for runs from the UI or the sensor):
    the second "raw" folder is refused, exit 2 in one screen, the warehouse untouched."""
    from conftest import cli_in_subprocess

    first, second = _drop(tmp_path / "a" / "raw", 0, 1), _drop(tmp_path / "b" / "raw", 1, 2)
    out = tmp_path / "out"
    assert run(_settings(out, "w", first), tmp_path / "dagster").ok
    cli = cli_in_subprocess(
        "from cli.main import entry; entry()",
        ["run", "--input", str(second), "--warehouse", str(out / "w.duckdb"), "--releases", str(out / "w-releases")]
        + [f"--codebook={p}" for p in sorted(CODEBOOKS.glob("*.yaml"))]
        + ["--dagster-home", str(tmp_path / "dagster-cli"), "--n-process", "1"],
        tmp_path,
    )
    assert cli.returncode == 2 and "--batch raw to replace the batch from" in cli.stderr, cli.stderr
    assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) < 20, cli.stderr
    assert _articles(out / "w.duckdb") == {"article-0.txt"}


def test_a_second_warehouse_publishing_into_a_releases_folder_is_refused_unless_it_adopts_it(two_warehouses, tmp_path):
    """Each manifest names the warehouse that published it. Another warehouse's run is refused
    there (its version would replace the dataset, and current.duckdb, with its own data alone);
    with --adopt-releases it publishes, and its summary says whose folder it was."""
    import json

    tmp, out, _, _ = two_warehouses
    shared = tmp_path / "shared-releases"
    shutil.copytree(out / "a-releases", shared, symlinks=True)
    before = json.loads((shared / "v1.1.0" / "manifest.json").read_text())  # a.duckdb published it
    settings = make_settings(tmp_path, tmp / "B", warehouse=str(tmp_path / "c.duckdb"), releases_dir=str(shared))
    refused = run(settings, tmp / "dagster")
    assert not refused.ok and refused.exit_code == 1
    assert "v1.1.0 in" in refused.reason and "was published from another warehouse" in refused.reason
    assert "--adopt-releases" in refused.reason and "  nothing was published (v1.1.0 stays current)" in refused.details
    assert not (shared / "v1.2.0").exists() and (shared / "LATEST").read_text().strip() == "v1.1.0"
    settings = make_settings(
        tmp_path, tmp / "B", warehouse=str(tmp_path / "c.duckdb"), releases_dir=str(shared), adopt_releases=True
    )
    outcome = run(settings, tmp / "dagster")
    assert outcome.ok, outcome.reason
    after = json.loads((shared / "v1.2.0" / "manifest.json").read_text())
    assert before["warehouse_id"] and after["warehouse_id"] and before["warehouse_id"] != after["warehouse_id"]
    assert "note: v1.1.0 in" in outcome.summary and "was published from another warehouse" in outcome.summary
    assert "Give each warehouse its own releases folder (--releases)" in outcome.summary
    again = run(
        make_settings(tmp_path, tmp / "A", warehouse=str(tmp_path / "c.duckdb"), releases_dir=str(shared)),
        tmp / "dagster",
    )
    assert again.ok and "another warehouse" not in again.summary  # the same warehouse again: no note


def test_a_batch_taken_out_leaves_the_next_release_and_comes_back_when_restored(two_warehouses, tmp_path, capsys):
    """`stancewire batch remove B` moves B's staged files aside; the next rebuild holds only
    A's articles, and moving the folder back brings B's again."""
    from cli.main import main

    tmp, out, _, _ = two_warehouses
    work = tmp_path / "out"
    work.mkdir()
    shutil.copy(out / "a.duckdb", work / "a.duckdb")
    shutil.copytree(out / "a.duckdb.staging", work / "a.duckdb.staging")
    warehouse = str(work / "a.duckdb")
    assert main(["batch", "list", "--warehouse", warehouse]) == 0
    listed = capsys.readouterr().out
    assert "A: 2 articles in the warehouse; from " in listed and "B: 2 articles in the warehouse" in listed
    dagster = ["--dagster-home", str(tmp_path / "dagster")]
    assert main(["batch", "remove", "B", "--warehouse", warehouse, *dagster]) == 0
    said = capsys.readouterr().out
    assert "batch B taken out of staging" in said and "removes its 2 article(s)" in said
    (aside,) = (work / "a.duckdb.staging" / "removed").iterdir()
    assert main(["batch", "remove", "B", "--warehouse", warehouse]) == 2  # no longer staged
    assert "no batch 'B' is staged" in capsys.readouterr().err

    rebuild = _settings(work, "a", tmp / "A")
    assert run(rebuild, tmp_path / "dagster").ok
    assert _articles(work / "a.duckdb") == {"article-0.txt", "article-1.txt"}
    assert main(["batch", "restore", "C", "--warehouse", warehouse]) == 2  # never removed
    assert "no removed batch 'C'" in capsys.readouterr().err
    staged_again = work / "a.duckdb.staging" / "batches" / "B"
    staged_again.mkdir()  # as a run of B's folder would stage it
    assert main(["batch", "restore", "B", "--warehouse", warehouse]) == 2
    assert "batch B is staged again" in capsys.readouterr().err and aside.is_dir()
    staged_again.rmdir()
    assert main(["batch", "restore", "B", "--warehouse", warehouse, *dagster]) == 0  # undone
    assert f"batch B restored from {aside}" in capsys.readouterr().out
    assert not aside.exists() and (work / "a.duckdb.staging" / "batches" / "B").is_dir()
    assert main(["batch", "restore", "B", "--warehouse", warehouse]) == 2  # nothing left to restore
    assert run(rebuild, tmp_path / "dagster").ok
    assert _articles(work / "a.duckdb") == {f"article-{i}.txt" for i in range(4)}
