"""The option table as the one definition (issue 10): an API key given on
the command line reaches the server and is written nowhere; --resume tells
output-only options from those that identify a run by the table's flag; a
list of rates with inf sweeps as it did when it was parsed by hand."""
import json

import pytest

from conftest import run_cli

KEY = "sk-optiontable-7f3a9c21e5"


def small_run(cmd, base_url):
    if cmd == "bench":
        return ["bench", "--base-url", base_url, "--pp", "32", "--tg", "4", "--runs", "1"]
    return ["load", "--base-url", base_url, "--num-prompts", "4", "--input-len", "16",
            "--output-len", "4", "--no-warmup"]


@pytest.mark.parametrize("cmd", ["bench", "load"])
def test_api_key_reaches_the_server_and_is_written_nowhere(cmd, sim_factory, tmp_path):
    sim = sim_factory("--api-key", KEY, "--decode-tps", "2000")
    # Without the key the simulator refuses the run: the key below is what lets it in.
    refused = run_cli(*small_run(cmd, sim.base_url), "--api-key-env", "BENCHY_NO_SUCH_VAR")
    assert refused.returncode != 0
    assert "401" in refused.stderr

    journal, saved = tmp_path / "run.jsonl", tmp_path / "result.json"
    r = run_cli(*small_run(cmd, sim.base_url), "--api-key", KEY, "--jsonl", journal,
                "--save-result", saved, "--format", "json", "--metadata", "gpu=H200")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "OK"
    assert "api-key" not in doc["config"]
    assert doc["config"]["api-key-env"] == "OPENAI_API_KEY"
    for name, text in [("stdout", r.stdout), ("stderr", r.stderr),
                       ("jsonl", journal.read_text()), ("saved result", saved.read_text())]:
        assert KEY not in text, f"the API key is in {name}"


def test_api_key_wins_over_the_variable(sim_factory):
    sim = sim_factory("--api-key", KEY)
    r = run_cli(*small_run("load", sim.base_url), "--api-key", KEY, "--format", "json",
                env={"OPENAI_API_KEY": "sk-wrong-key-0000"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["aggregates"][0]["completed"] == 4


def test_a_server_error_quoting_the_key_is_scrubbed(sim_factory):
    # A wrong key given directly is a secret too: the 401 is reported, the key is not.
    sim = sim_factory("--api-key", KEY)
    wrong = "sk-wrong-but-secret-4242"
    r = run_cli(*small_run("bench", sim.base_url), "--api-key", wrong)
    assert r.returncode != 0
    assert "401" in r.stderr
    assert wrong not in r.stderr and wrong not in r.stdout


def test_resume_across_an_output_only_change_and_not_an_identifying_one(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "2000")
    journal = tmp_path / "run.jsonl"
    args = [*small_run("load", sim.base_url), "--jsonl", journal]
    first = run_cli(*args, "--format", "json")
    assert first.returncode == 0, first.stderr

    # --format, --threads, --max-failure-rate and --quiet only change what is shown.
    r = run_cli(*args, "--resume", "--format", "csv", "--threads", "2",
                "--max-failure-rate", "0.5", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "different configuration" not in r.stderr

    before = journal.read_bytes()
    r = run_cli(*args, "--resume", "--seed", "7")
    assert r.returncode == 2
    assert "--seed differs" in r.stderr
    assert journal.read_bytes() == before  # refused before anything was written

    r = run_cli(*args, "--resume", "--stddev", "sample")
    assert r.returncode == 2
    assert "--stddev differs" in r.stderr


def test_request_rate_list_with_inf_sweeps(sim_factory):
    sim = sim_factory("--decode-tps", "2000")
    r = run_cli(*small_run("load", sim.base_url), "--request-rate", "20,inf", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    levels = doc["aggregates"]
    assert [lv["label"] for lv in levels] == ["rate=20", "rate=inf"]
    assert levels[0]["request_rate"] == 20
    assert all(lv["completed"] == 4 for lv in levels)
    assert doc["config"]["request-rate"] == [20, "inf"]


@pytest.mark.parametrize("rate,words", [("fast", ["--request-rate", "'fast'", "inf"]),
                                        ("0", ["--request-rate", "out of range", "inf"])])
def test_bad_request_rate_is_refused_before_any_request(rate, words):
    # Port 9 (discard) has nothing listening: a refusal naming the server
    # would mean the option was not checked first.
    r = run_cli("load", "--base-url", "http://127.0.0.1:9/v1", "--request-rate", rate)
    assert r.returncode == 2
    for w in words:
        assert w in r.stderr, r.stderr


def test_resume_reads_a_journal_written_before_the_table_said_it(sim_factory, tmp_path):
    """Journals from before request-rate was a list and stddev had a default
    per command ("50,inf" and null in their config) still resume: values are
    compared by what they mean, read back through the table."""
    sim = sim_factory("--decode-tps", "2000")
    journal = tmp_path / "run.jsonl"
    args = [*small_run("load", sim.base_url), "--request-rate", "50,inf", "--jsonl", journal,
            "--format", "json"]
    assert run_cli(*args).returncode == 0
    lines = journal.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["type"] == "config" and head["config"]["request-rate"] == [50, "inf"]
    head["config"]["request-rate"] = "50,inf"
    head["config"]["stddev"] = None
    lines[0] = json.dumps(head)
    journal.write_text("\n".join(lines) + "\n")
    r = run_cli(*args, "--resume")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["metadata"]["resume"]["levels_restored"] == 2
    # Meaning still counts: an old-shaped value that differs is refused, by name.
    head["config"]["request-rate"] = "50,60"
    lines[0] = json.dumps(head)
    journal.write_text("\n".join(lines) + "\n")
    r = run_cli(*args, "--resume")
    assert r.returncode == 2 and "--request-rate differs" in r.stderr


def test_explicit_authorization_header_names_the_key_it_replaces(sim_factory):
    sim = sim_factory("--api-key", KEY)
    r = run_cli(*small_run("load", sim.base_url), "--api-key", "sk-replaced-by-header-99",
                "--header", f"Authorization: Bearer {KEY}", env={"OPENAI_API_KEY": ""})
    assert r.returncode == 0, r.stderr
    assert "is sent instead of the API key given with --api-key" in r.stderr
    assert "sk-replaced-by-header-99" not in r.stderr and KEY not in r.stderr
