"""--jsonl never destroys a file (issue 9, item 2), for bench and load, end
to end against benchy sim."""
import json
import urllib.request

import pytest

from conftest import run_cli

# Small, quick runs of each client command against a sim at base_url.
FAST = {
    "bench": ["--pp", "32", "--tg", "4", "--runs", "2", "--no-warmup", "--latency-mode", "none"],
    "load": ["--num-prompts", "6", "--input-len", "16", "--output-len", "4", "--no-warmup"],
}


def client(cmd, base_url, *extra, env=None):
    return run_cli(cmd, "--base-url", base_url, *FAST[cmd], "--quiet", *extra, env=env)


def sim_requests(sim):
    """Requests the sim has answered, this one included."""
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/sim/stats", timeout=5) as r:
        return json.load(r)["requests"]


def foreign_file(path, torn_tail):
    """48 lines that are not a benchy journal; optionally a last line without
    its newline, which a resume of a journal of ours would cut off."""
    text = "".join(f'{{"line": {i}, "note": "my own data"}}\n' for i in range(48))
    if torn_tail:
        text += '{"line": 48, "note": "no newline'
    path.write_text(text)
    return path.read_bytes()


def assert_refused_untouched(r, path, before):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert path.read_bytes() == before
    assert str(path) in r.stderr
    assert r.stdout == ""  # nothing was measured, so no table


# ---- item 2: --jsonl never truncates, and resumes only a journal of ours ----

@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_existing_journal_without_resume_is_refused_before_any_request(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "run.jsonl"
    first = client(cmd, sim.base_url, "--jsonl", journal)
    assert first.returncode == 0, first.stderr
    before = journal.read_bytes()
    assert before.count(b"\n") >= 3

    asked = sim_requests(sim)
    r = client(cmd, sim.base_url, "--jsonl", journal)
    assert_refused_untouched(r, journal, before)
    # The two ways forward: continue it, or start elsewhere.
    assert "--resume" in r.stderr and "another --jsonl path" in r.stderr
    # Refused before the server was asked anything (only our stats call since).
    assert sim_requests(sim) == asked + 1


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_foreign_file_without_resume_is_refused(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "notes.jsonl"
    before = foreign_file(path, torn_tail=False)
    r = client(cmd, sim.base_url, "--jsonl", path)
    assert_refused_untouched(r, path, before)
    assert "another --jsonl path" in r.stderr and "remove the file" in r.stderr


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_resume_of_a_foreign_file_leaves_it_byte_for_byte(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "notes.jsonl"
    before = foreign_file(path, torn_tail=True)
    asked = sim_requests(sim)
    r = client(cmd, sim.base_url, "--jsonl", path, "--resume")
    assert_refused_untouched(r, path, before)
    assert "not a benchy journal" in r.stderr
    assert sim_requests(sim) == asked + 1


def test_resume_of_another_commands_journal_is_refused(sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "load.jsonl"
    assert client("load", sim.base_url, "--jsonl", journal).returncode == 0
    before = journal.read_bytes()
    r = client("bench", sim.base_url, "--jsonl", journal, "--resume")
    assert_refused_untouched(r, journal, before)
    assert "benchy load" in r.stderr


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_an_empty_existing_file_is_used(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    r = client(cmd, sim.base_url, "--jsonl", path)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in path.read_text().splitlines()]
    assert lines[0]["kind"] == cmd
    assert len(lines) > 2


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_resume_of_a_real_journal_repairs_a_torn_tail_and_continues(cmd, sim_factory, tmp_path):
    sim = sim_factory()
    journal = tmp_path / "run.jsonl"
    assert client(cmd, sim.base_url, "--jsonl", journal).returncode == 0
    complete = journal.read_bytes()
    # A run that died mid-write leaves a torn last line: ours to repair.
    journal.write_bytes(complete + b'{"type":"record","lev')
    r = client(cmd, sim.base_url, "--jsonl", journal, "--resume", "--format", "json")
    assert r.returncode == 0, r.stderr
    after = journal.read_bytes()
    assert after.startswith(complete)
    assert b'"lev{' not in after and after.endswith(b"\n")
    doc = json.loads(r.stdout)
    if cmd == "load":
        assert doc["aggregates"][0]["restored_from_jsonl"] is True
    else:
        assert doc["metadata"]["resumed"] is True
    assert doc["status"] == "OK"
