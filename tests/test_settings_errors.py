"""Settings and stored work that a run would silently misread: an error names the flag or the
variable the user set, a size DuckDB cannot take is refused before any database is opened,
and what a run's settings will remove from the warehouse (another codebook's statements,
coders' verdicts with no corrections folder) is said before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import settings

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("variable", "value", "override", "named"),
    [
        ("STANCEWIRE_N_PROCESS", "abc", {}, "$STANCEWIRE_N_PROCESS"),
        ("STANCEWIRE_N_PROCESS", "2", {"n_process": "abc"}, "--n-process"),
        ("STANCEWIRE_WAIT", "soon", {}, "$STANCEWIRE_WAIT"),
        ("STANCEWIRE_WAIT", "1", {"lock_timeout_s": "-3"}, "--wait"),
    ],
)
def test_an_error_names_where_the_value_came_from(monkeypatch, variable, value, override, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as e:
        settings.resolve(**override)
    assert str(e.value).startswith(f"{named} must be")


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="--batch-size must be a positive number"):
        settings.resolve(batch_size=-1)
    assert settings.resolve(batch_size=8)["batch_size"] == 8


def test_a_memory_size_is_checked_by_duckdb(monkeypatch):
    monkeypatch.setenv("STANCEWIRE_DUCKDB_MEMORY", "lots")
    problem = settings.memory_limit_problem()
    assert problem.startswith("$STANCEWIRE_DUCKDB_MEMORY is not a memory size") and "'lots'" in problem
    monkeypatch.setenv("STANCEWIRE_DUCKDB_MEMORY", "512MB")
    assert settings.memory_limit_problem() is None


def test_a_bad_memory_size_stops_a_command_in_one_line(monkeypatch, capsys, tmp_path):
    from cli.main import main

    monkeypatch.setenv("STANCEWIRE_DUCKDB_MEMORY", "lots")
    assert main(["release", "list", "--releases", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "$STANCEWIRE_DUCKDB_MEMORY" in err


def test_a_codebook_named_twice_is_one_codebook(tmp_path):
    book = REPO / "data" / "codebooks" / "us-election-2016.yaml"
    assert settings.codebook_paths([str(book), str(book)]) == [book]


def test_what_a_run_would_remove_is_said_before_it_starts(seed_copy, tmp_path):
    """The seed run coded both bundled codebooks; a run with one of them removes the other's
    statements, and a warehouse with verdicts but no corrections folder loses them."""
    import duckdb

    from cli.main import _dropped_work
    from pipeline.stances.codebooks import load_codebooks

    books = load_codebooks([REPO / "data" / "codebooks" / "ukraine-peacekeeping.yaml"])
    with duckdb.connect(str(seed_copy)) as conn:
        n = conn.execute("SELECT count(*) FROM coded_stances WHERE codebook = 'us-election-2016'").fetchone()[0]
        required = [
            (c, t)
            for _, c, t, notnull, *_ in conn.execute("PRAGMA table_info('review_verdicts')").fetchall()
            if notnull
        ]
        dummy = {"VARCHAR": "'x'", "INTEGER": "2", "BIGINT": "2", "DOUBLE": "0.5", "BOOLEAN": "false"}
        columns = ", ".join(c for c, _ in required)
        conn.execute(f"INSERT INTO review_verdicts ({columns}) VALUES ({', '.join(dummy[t] for _, t in required)})")
    assert n, "the seed run codes us-election-2016 statements"
    lines = _dropped_work(seed_copy, books, tmp_path / "corrections")
    assert lines == [
        f"codebook us-election-2016 is not among this run's codebooks (ukraine-peacekeeping): its {n} statement(s) "
        f"will be removed from {seed_copy} and from the next release. Give --codebook for every codebook to keep "
        "(codebooks apply to every article in the warehouse)",
        f"{seed_copy} holds 1 coders' verdict(s) but there is no corrections folder {tmp_path / 'corrections'}: the "
        "next release will have none of them. Give --corrections DIR (where `stancewire review apply` stored them)",
    ]
    every = load_codebooks(sorted((REPO / "data" / "codebooks").glob("*.yaml")))
    assert _dropped_work(seed_copy, every, tmp_path) == []  # every codebook, and a corrections folder there
    assert _dropped_work(tmp_path / "none.duckdb", books, tmp_path) == []


def test_a_missing_corrections_folder_given_explicitly_is_refused(tmp_path, capsys):
    from cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nSome text.", encoding="utf-8")
    code = main(
        ["run", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--corrections", str(tmp_path / "x")]
        + ["--codebook", str(REPO / "data" / "codebooks" / "us-election-2016.yaml")]
    )
    assert code == 2
    assert f"corrections folder {tmp_path / 'x'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_logs_and_release_list_refuse_a_missing_folder_without_making_it(tmp_path, capsys):
    from cli.main import main

    assert main(["logs", "--dagster-home", str(tmp_path / "nowhere")]) == 2
    assert main(["release", "list", "--releases", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "no Dagster instance at" in err and "no releases folder" in err
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "nope").exists()


def test_ui_starts_away_from_a_dotenv_that_would_point_dagster_elsewhere(tmp_path, monkeypatch, capsys):
    """`dagster dev` reads ./.env and its DAGSTER_HOME wins: with another instance asked for,
    `stancewire ui` starts the UI from that instance's folder, on this checkout's
    workspace.yaml, with every path setting made absolute as seen from where it was asked."""
    import os

    from cli.main import main

    started = []
    monkeypatch.setattr(os, "execv", lambda exe, cmd: started.append((os.getcwd(), cmd)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    # set here so that the test restores them: the UI's settings, relative to this folder
    settings = {
        "STANCEWIRE_INPUT": "in",
        "STANCEWIRE_INBOX": "drops",
        "STANCEWIRE_WAREHOUSE": "x",
        "STANCEWIRE_RELEASES": "x",
    }
    for var, value in settings.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("STANCEWIRE_CODEBOOKS", str(REPO / "data" / "codebooks" / "us-election-2016.yaml"))
    (tmp_path / ".env").write_text("DAGSTER_HOME=/elsewhere/data/dagster\n", encoding="utf-8")
    port = _free_port()
    assert (
        main(["ui", "--dagster-home", "home", "--warehouse", "out/w.duckdb", "--releases", "out/rel", "--port", port])
        == 0
    )
    ((where, cmd),) = started
    assert where == str(tmp_path / "home") and (tmp_path / "home" / "dagster.yaml").is_file()
    assert cmd[cmd.index("-w") + 1] == str(REPO / "workspace.yaml") and cmd[cmd.index("-h") + 1] == "127.0.0.1"
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "home")
    assert os.environ["STANCEWIRE_WAREHOUSE"] == str(tmp_path / "out" / "w.duckdb")
    assert os.environ["STANCEWIRE_RELEASES"] == str(tmp_path / "out" / "rel")
    assert os.environ["STANCEWIRE_INPUT"] == str(tmp_path / "in")
    assert os.environ["STANCEWIRE_INBOX"] == str(tmp_path / "drops")
    assert f"cd {tmp_path / 'home'} && DAGSTER_HOME={tmp_path / 'home'}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["a/b", "../evil", " ", "x."])
def test_a_batch_name_that_would_be_changed_is_refused(tmp_path, capsys, name):
    """A name made safe silently could be another batch's ("a/b" and "a-b")."""
    from cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nSome text.", encoding="utf-8")
    code = main(["run", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--batch", name])
    assert code == 2
    assert f"--batch {name!r} is not a batch name" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_an_empty_batch_name_is_refused_not_ignored(tmp_path, capsys):
    from cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nSome text.", encoding="utf-8")
    assert main(["run", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--batch", ""]) == 2
    assert "--batch is empty" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_eval_on_an_empty_folder_says_so(tmp_path):
    from cli.evaluate import EvalError, _stage_texts

    with pytest.raises(EvalError, match="holds no files to read"):
        _stage_texts(tmp_path, None, tmp_path / "work")


def test_attributions_scored_on_a_subset_of_a_split_count_only_those_documents(tmp_path):
    """The PolNeAR scorer counts every document of its split as predicted (empty when no
    line names it): a folder of some of the split's texts is scored on those alone."""
    import json
    import subprocess
    import sys

    from cli.evaluate import EvalError, _gold_split_for

    text = 'He said "we will win" today.'
    gold = tmp_path / "split"
    (gold / "text").mkdir(parents=True)
    (gold / "attributions").mkdir()
    for doc in ("a_doc", "a_doc_two", "b"):
        (gold / "text" / f"{doc}.txt").write_text(text, encoding="utf-8")
        (gold / "attributions" / f"{doc}_x1.ann").write_text(
            'T1\tSource 0 2\tHe\nT2\tCue 3 7\tsaid\nT3\tContent 8 21\t"we will win"\n'
            "E1\tAttribution:T2 Source:T1 Content:T3\n",
            encoding="utf-8",
        )
    texts = tmp_path / "texts"
    (texts / "sub").mkdir(parents=True)
    (texts / "sub" / "a_doc.txt").write_text(text, encoding="utf-8")  # read in subfolders, as ingest does

    split, scope = _gold_split_for(texts, gold, tmp_path / "work")
    assert sorted(p.name for p in (split / "attributions").iterdir()) == ["a_doc_x1.ann"]
    assert "1 of the split's 3 documents" in scope
    assert _gold_split_for(texts, gold, tmp_path / "work")[0] == split  # again in the same --keep folder

    for doc in ("a_doc_two", "b"):
        (texts / f"{doc}.txt").write_text("x", encoding="utf-8")
    assert _gold_split_for(texts, gold, tmp_path / "work2") == (gold, "")
    (texts / "c.txt").write_text("x", encoding="utf-8")
    with pytest.raises(EvalError, match="not in the split"):
        _gold_split_for(texts, gold, tmp_path / "work3")

    scorer = REPO.parent / "shared" / "tools" / "polnear_score.py"
    if not scorer.is_file():
        pytest.skip(f"{scorer} is absent (../shared is only beside the checkout on project machines)")
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"doc": "a_doc", "content": [8, 21], "source": [0, 2], "cue": [3, 7]}\n', encoding="utf-8")
    out = subprocess.run([sys.executable, str(scorer), str(split), str(pred), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    scores = json.loads(out.stdout)  # the subset split is scored on its one document: recall 1, not 1/3
    assert (scores["docs"], scores["all"]["n_gold"], scores["all"]["content_recall"]) == (1, 1, 1.0)


def test_a_run_with_another_version_of_a_coded_codebook_says_so_before_it_starts(seed_copy, tmp_path):
    """The warehouse was coded with ukraine-peacekeeping 1.0 and us-election-2016 1.0; a run
    given a 0.9 of the first without one of its targets (a run with the default folder after
    an edit given by --codebook) says which version replaces which, and what is lost."""
    import duckdb

    from cli.main import _dropped_work
    from pipeline.stances.codebooks import load_codebooks

    source = REPO / "data" / "codebooks" / "ukraine-peacekeeping.yaml"
    older = tmp_path / "ukraine-peacekeeping.yaml"
    text = source.read_text(encoding="utf-8")
    first = load_codebooks([source])[0]
    dropped = first.targets[-1].id
    block = text[text.index(f"- id: {dropped}") :]
    older.write_text(text.replace(block, "").replace(f'version: "{first.version}"', 'version: "0.9"'), encoding="utf-8")
    books = load_codebooks([older, REPO / "data" / "codebooks" / "us-election-2016.yaml"])
    assert [t.id for t in books[0].targets] == [t.id for t in first.targets[:-1]]
    with duckdb.connect(str(seed_copy), read_only=True) as conn:
        n = conn.execute(
            "SELECT count(*) FROM coded_stances WHERE codebook = 'ukraine-peacekeeping' AND target = ?", [dropped]
        ).fetchone()[0]
    (lines,) = _dropped_work(seed_copy, books, tmp_path)
    assert lines.startswith(
        f"codebook ukraine-peacekeeping is version 0.9 here ({older}), but {seed_copy} was coded with version "
        f"{first.version}: its statements will be coded again with this one; targets it lacks lose their "
        f"statements: {dropped} ({n})"
    )
    assert lines.endswith("If the codebook the warehouse was coded with was an edit of yours, give it with --codebook")
    # the same version without that target (an edit that kept its version): said too
    older.write_text(text.replace(block, ""), encoding="utf-8")
    books = load_codebooks([older, REPO / "data" / "codebooks" / "us-election-2016.yaml"])
    (lines,) = _dropped_work(seed_copy, books, tmp_path)
    assert lines.startswith(
        f"codebook ukraine-peacekeeping here ({older}) lacks targets {seed_copy} was coded with; targets it lacks "
        f"lose their statements: {dropped} ({n})"
    )


def test_a_releases_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys):
    from cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Title\n\nSome text.", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("a file, not a folder", encoding="utf-8")
    releases = tmp_path / "notes.txt" / "releases"
    args = ["run", "--input", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--releases", str(releases)]
    args += ["--codebook", str(REPO / "data" / "codebooks" / "us-election-2016.yaml")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"releases folder {releases} cannot be written" in err and "--no-publish" in err
    assert not (tmp_path / "w.duckdb").exists()
    assert main([*args, "--no-publish"]) != 2  # not publishing: the folder is not needed


def _free_port() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def test_the_ui_on_a_port_in_use_is_refused_before_it_starts(monkeypatch, capsys, tmp_path):
    """`dagster dev` on a busy port printed its address, failed, and left its daemon running."""
    import os
    import socket

    from cli.main import main

    started = []
    monkeypatch.setattr(os, "execv", lambda exe, cmd: started.append(cmd))
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = str(other.getsockname()[1])
        assert main(["ui", "--dagster-home", str(tmp_path / "home"), "--port", port]) == 4
    said = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in said and "is the UI running already?" in said
    assert not started


def test_a_new_dagster_home_turns_telemetry_off_and_keeps_the_warehouses_waits(tmp_path, monkeypatch):
    import dagster as dg

    from cli.main import prepare_dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # restored after the test: the call sets it
    home = prepare_dagster_home(str(tmp_path / "home"))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_settings("telemetry") == {"enabled": False}
        assert instance.get_settings("python_logs")["managed_python_loggers"] == ["pipeline.storage.warehouse"]


def test_an_unknown_option_is_said_with_its_commands_usage(capsys):
    import pytest

    from cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["run", "--inptu", "x"])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert (
        said.startswith("usage: stancewire run ") and "stancewire run: error: unrecognized arguments: --inptu x" in said
    )
    with pytest.raises(SystemExit):
        main(["batch", "remove", "b", "--bogus"])
    assert "stancewire batch remove: error: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_port_or_host_the_ui_cannot_have_is_a_usage_error(capsys, tmp_path):
    from cli.main import main

    home = ["--dagster-home", str(tmp_path / "home")]
    assert main(["ui", *home, "--port", "70000"]) == 2
    assert "--port 70000: a port is a number from 1 to 65535" in capsys.readouterr().err
    assert main(["ui", *home, "--host", "nosuchhost.invalid", "--port", _free_port()]) == 2
    assert "--host nosuchhost.invalid: not an address of this machine" in capsys.readouterr().err
