"""Reproducibility metadata (docs/metadata.md): `benchy meta` prints it, every
bench and load result carries it, and no secret planted anywhere a user
might put one (API key, secret-looking environment variables, a header, URL
credentials, a --meta-cmd whose output holds keys) reaches stdout, stderr or
any file written, while the ordinary values beside them do."""
import json

from conftest import run_cli

API_KEY = "sk-planted-api-key-0123456789"
ENV_TOKEN = "myapp-token-value-5551212"
ENV_VLLM_KEY = "vllm-api-key-value-777"
HEADER_SECRET = "x-auth-token-value-31337"
URL_PASSWORD = "url-password-4242"
CMD_SK = "sk-fromcommandoutput0123456789"
CMD_HF = "hf_FromCommandOutputABCDEFGH"
SECRETS = (API_KEY, ENV_TOKEN, ENV_VLLM_KEY, HEADER_SECRET, URL_PASSWORD, CMD_SK, CMD_HF)

ENV = {
    "OPENAI_API_KEY": API_KEY,
    "MYAPP_TOKEN": ENV_TOKEN,
    "VLLM_API_KEY": ENV_VLLM_KEY,
    "VLLM_ATTENTION_BACKEND": "FLASH_ATTN",
    "MYAPP_MODE": "fast-path",
}


def meta_args(sim):
    url = f"http://bench:{URL_PASSWORD}@127.0.0.1:{sim.port}/v1"
    return ["--base-url", url, "--header", f"X-Auth-Token: {HEADER_SECRET}",
            "--header", "User-Agent: meta-test/1",
            "--meta-env", "VLLM_,MYAPP_",
            "--meta-cmd", f"keys=echo openai={CMD_SK}; echo HF={CMD_HF}; echo visible-line",
            "--meta-git", "nowhere=/nonexistent-tree"]


def assert_no_secret(text, where):
    for s in SECRETS:
        assert s not in text, f"{s!r} leaked into {where}"


def check_metadata(md, where):
    assert md["env"]["VLLM_ATTENTION_BACKEND"] == "FLASH_ATTN", where
    assert md["env"]["MYAPP_MODE"] == "fast-path", where
    assert md["env"]["VLLM_API_KEY"] == "[redacted]", where
    assert md["env"]["MYAPP_TOKEN"] == "[redacted]", where
    assert "OPENAI_API_KEY" not in md["env"], where  # only the prefixes asked for
    out = md["commands"]["keys"]["output"]
    assert "visible-line" in out and "[redacted]" in out, where
    assert md["request_headers"] == {"X-Auth-Token": "[redacted]", "User-Agent": "meta-test/1"}, where
    assert "not a git work tree" in md["git"]["nowhere"]["error"], where
    assert md["host"]["os"] == "Linux", where
    assert "gpus" in md and "build" in md and "collected_at" in md, where
    words = md["command_line"]
    assert "--meta-env" in words and "VLLM_,MYAPP_" in words, where


def test_meta_prints_metadata_without_secrets(sim_factory, tmp_path):
    sim = sim_factory("--api-key", API_KEY)
    r = run_cli("meta", *meta_args(sim), env=ENV)
    assert r.returncode == 0, r.stderr
    assert_no_secret(r.stdout + r.stderr, "benchy meta output")
    doc = json.loads(r.stdout)
    check_metadata(doc, "benchy meta")
    assert doc["server_reported"]["models"][0]["id"] == "sim"
    assert doc["server_reported"]["base_url"].startswith("http://[redacted]@127.0.0.1")


def test_load_and_bench_results_carry_metadata_without_secrets(sim_factory, tmp_path):
    sim = sim_factory("--api-key", API_KEY, "--decode-tps", "2000", "--prefill-tps", "1e6")
    runs = {
        "load": ["load", "--num-prompts", "4", "--input-len", "16", "--output-len", "4"],
        "bench": ["bench", "--pp", "16", "--tg", "4", "--runs", "1", "--no-warmup"],
    }
    for name, args in runs.items():
        result = tmp_path / f"{name}.json"
        journal = tmp_path / f"{name}.jsonl"
        r = run_cli(*args, *meta_args(sim), "--save-result", result, "--jsonl", journal,
                    "--format", "json", env=ENV)
        assert r.returncode == 0, r.stderr
        assert_no_secret(r.stdout + r.stderr, f"{name} stdout/stderr")
        check_metadata(json.loads(r.stdout)["metadata"], f"{name} stdout")
        check_metadata(json.loads(result.read_text())["metadata"], f"{name} --save-result")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 4
    for f in files:
        assert_no_secret(f.read_text(errors="replace"), f.name)


def test_meta_bad_base_url_is_a_clear_error():
    r = run_cli("meta", "--base-url", "not a url")
    assert r.returncode == 2
    assert "base-url" in r.stderr
