"""What benchy puts in request bodies: the sampling options, --extra-body,
load's --ignore-eos, and the result's record of what was sent.

A recording proxy sits between benchy and `benchy sim`: it keeps every
generation request's JSON body and forwards the request, so the tests see
exactly what a server would receive."""
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_cli

GENERATION_PATHS = ("/v1/chat/completions", "/v1/completions")


class RecordingProxy:
    def __init__(self, upstream_port):
        self.bodies = []
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                if self.command == "POST" and self.path in GENERATION_PATHS:
                    body = json.loads(data)
                    # Only measured requests: probes ask for one token without streaming.
                    if body.get("stream") is True:
                        with lock:
                            proxy.bodies.append(body)
                up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                headers = {"Content-Type": "application/json"} if data else {}
                up.request(self.command, self.path, body=data, headers=headers)
                resp = up.getresponse()
                payload = resp.read()
                up.close()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = True

            do_GET = forward
            do_POST = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(sim_factory):
    p = RecordingProxy(sim_factory("--decode-tps", "5000", "--prefill-tps", "1e6").port)
    yield p
    p.stop()


SAMPLING = ["--temperature", "0.25", "--top-p", "0.9", "--top-k", "17", "--min-p", "0.05",
            "--sampling-seed", "1234"]
EXTRA = '{"timings_per_token": true, "chat_template_kwargs": {"enable_thinking": false}}'


def check_sampling_fields(body):
    assert body["temperature"] == 0.25 and isinstance(body["temperature"], float)
    assert body["top_p"] == 0.9 and isinstance(body["top_p"], float)
    assert body["top_k"] == 17 and isinstance(body["top_k"], int)
    assert body["min_p"] == 0.05 and isinstance(body["min_p"], float)
    assert body["seed"] == 1234 and isinstance(body["seed"], int)
    assert body["timings_per_token"] is True
    assert body["chat_template_kwargs"] == {"enable_thinking": False}


def check_recorded(doc):
    sent = doc["metadata"]["request_body"]["sent"]
    assert sent == {"temperature": 0.25, "top_p": 0.9, "top_k": 17, "min_p": 0.05, "seed": 1234,
                    "timings_per_token": True, "chat_template_kwargs": {"enable_thinking": False}}
    assert doc["config"]["temperature"] == 0.25
    assert doc["config"]["sampling-seed"] == 1234
    assert doc["config"]["extra-body"] == json.loads(EXTRA)


def test_bench_sends_sampling_and_extra_body(proxy):
    r = run_cli("bench", "--base-url", proxy.base_url, "--pp", "64", "--tg", "8", "--runs", "2",
                "--format", "json", *SAMPLING, "--extra-body", EXTRA)
    assert r.returncode == 0, r.stderr
    assert len(proxy.bodies) >= 2
    for body in proxy.bodies:
        check_sampling_fields(body)
        # benchy's own fields are still there: the extra body adds, it does not replace.
        assert body["stream"] is True and body["stream_options"]["include_usage"] is True
        assert body["ignore_eos"] is True and body["min_tokens"] == body["max_tokens"]
    check_recorded(json.loads(r.stdout))


def test_load_sends_sampling_and_extra_body(proxy):
    r = run_cli("load", "--base-url", proxy.base_url, "--num-prompts", "3", "--input-len", "32",
                "--output-len", "8", "--format", "json", *SAMPLING, "--extra-body", EXTRA)
    assert r.returncode == 0, r.stderr
    assert len(proxy.bodies) >= 3
    for body in proxy.bodies:
        check_sampling_fields(body)
    check_recorded(json.loads(r.stdout))


def test_unset_sampling_options_are_not_sent_and_the_server_default_is_recorded(proxy):
    r = run_cli("bench", "--base-url", proxy.base_url, "--pp", "64", "--tg", "8", "--runs", "1",
                "--format", "json", "--top-k", "3")
    assert r.returncode == 0, r.stderr
    assert proxy.bodies
    for body in proxy.bodies:
        for field in ("temperature", "top_p", "min_p", "seed", "timings_per_token"):
            assert field not in body
        assert body["top_k"] == 3
    doc = json.loads(r.stdout)
    rb = doc["metadata"]["request_body"]
    assert rb["sent"] == {"top_k": 3}
    # benchy sim's /props reports llama-server's default sampler.
    assert rb["server_default_sampler"]["temperature"] == 0.8
    assert "/props" in rb["server_default_sampler_source"]
    assert rb["sampler_in_effect"]["temperature"] == 0.8
    assert rb["sampler_in_effect"]["top_k"] == 3
    assert doc["config"]["temperature"] is None


def test_load_ignore_eos_forces_exact_lengths_for_a_file_dataset(proxy, tmp_path):
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Say hello number {i}", "output_len": 6}) + "\n"
                            for i in range(3)))
    common = ["load", "--base-url", proxy.base_url, "--dataset", "jsonl", "--dataset-path", data,
              "--num-prompts", "3", "--no-warmup", "--format", "json"]
    r = run_cli(*common)
    assert r.returncode == 0, r.stderr
    assert proxy.bodies and all("ignore_eos" not in b for b in proxy.bodies)
    proxy.bodies.clear()
    r = run_cli(*common, "--ignore-eos")
    assert r.returncode == 0, r.stderr
    assert len(proxy.bodies) == 3
    for body in proxy.bodies:
        assert body["ignore_eos"] is True
        assert body["max_tokens"] == body["min_tokens"] == body["n_predict"] == 6
    assert json.loads(r.stdout)["config"]["ignore-eos"] is True


@pytest.mark.parametrize("command", ["bench", "load"])
@pytest.mark.parametrize("value, says", [
    ("[1, 2]", "is not a JSON object"),
    ("temperature=0", "not valid JSON"),
    ('{"stream": false}', '"stream" must stay true'),
    ('{"max_tokens": 5}', "--output-len"),
    ('{"model": "other"}', "--model"),
    ('{"top_k": 5}', "--top-k"),
])
def test_bad_extra_body_is_refused_before_anything_is_sent(proxy, command, value, says):
    r = run_cli(command, "--base-url", proxy.base_url, "--top-k", "9", "--extra-body", value)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--extra-body" in r.stderr and says in r.stderr
    assert proxy.bodies == []


@pytest.mark.parametrize("command, args", [
    ("bench", ["--pp", "64", "--tg", "8", "--runs", "1"]),
    ("load", ["--num-prompts", "2", "--input-len", "32", "--output-len", "8"]),
])
def test_extra_stream_options_join_the_usage_request(proxy, command, args):
    r = run_cli(command, "--base-url", proxy.base_url, *args, "--format", "json",
                "--extra-body", '{"stream_options": {"continuous_usage_stats": true}}')
    assert r.returncode == 0, r.stderr
    assert proxy.bodies
    for body in proxy.bodies:
        assert body["stream_options"] == {"continuous_usage_stats": True, "include_usage": True}


@pytest.mark.parametrize("command, args, says", [
    ("bench", ["--pp", "64", "--tg", "8", "--runs", "1"], "holds a different run"),
    ("load", ["--num-prompts", "2", "--input-len", "32", "--output-len", "8"],
     "--temperature differs"),
])
def test_resume_refuses_a_file_sampled_differently(proxy, tmp_path, command, args, says):
    journal = tmp_path / "run.jsonl"
    base = [command, "--base-url", proxy.base_url, *args, "--jsonl", journal]
    r = run_cli(*base, "--temperature", "0.5")
    assert r.returncode == 0, r.stderr
    written = journal.read_text()
    sent_before = len(proxy.bodies)
    r = run_cli(*base, "--temperature", "0.7", "--resume")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--resume" in r.stderr and says in r.stderr
    assert journal.read_text() == written
    assert len(proxy.bodies) == sent_before
