"""bench and load see the server the same way (workload/target.c): the API
key reaches both, a malformed --header is refused by both without its value
being echoed, and both save the base URL without its credentials."""
import json

from conftest import run_cli

BENCH = ("bench", "--pp", "16", "--tg", "4", "--runs", "1", "--no-warmup", "--latency-mode", "none",
         "--format", "json")
LOAD = ("load", "--num-prompts", "3", "--input-len", "16", "--output-len", "4", "--no-warmup",
        "--format", "json")


def test_api_key_reaches_bench_and_load(sim_factory):
    sim = sim_factory("--api-key", "sk-target-test")
    for cmd in (BENCH, LOAD):
        refused = run_cli(*cmd, "--base-url", sim.base_url, "--api-key-env", "TARGET_TEST_KEY",
                          env={"TARGET_TEST_KEY": ""})
        assert refused.returncode != 0, cmd[0]
        ok = run_cli(*cmd, "--base-url", sim.base_url, "--api-key-env", "TARGET_TEST_KEY",
                     env={"TARGET_TEST_KEY": "sk-target-test"})
        assert ok.returncode == 0, (cmd[0], ok.stderr)
        assert "sk-target-test" not in ok.stdout + ok.stderr


def test_malformed_header_is_refused_without_its_value(sim_factory):
    sim = sim_factory()
    for cmd in (BENCH, LOAD):
        proc = run_cli(*cmd, "--base-url", sim.base_url, "--header", "X-Ok: 1",
                       "--header", "Bearer-hunter2")
        assert proc.returncode != 0, cmd[0]
        assert "'Name: value'" in proc.stderr, (cmd[0], proc.stderr)
        assert "hunter2" not in proc.stderr + proc.stdout, cmd[0]


def test_results_carry_the_url_without_credentials(sim_factory):
    sim = sim_factory()
    url = sim.base_url.replace("http://", "http://alice:hunter2@")
    for cmd in (BENCH, LOAD):
        proc = run_cli(*cmd, "--base-url", url)
        assert proc.returncode == 0, (cmd[0], proc.stderr)
        doc = json.loads(proc.stdout)
        assert doc["metadata"]["base_url"] == sim.base_url, cmd[0]
        assert "hunter2" not in proc.stdout + proc.stderr, cmd[0]
