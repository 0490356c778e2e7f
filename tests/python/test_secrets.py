"""Secrets never leave benchy: one Authorization header is sent, and a server
that echoes the request's headers in its error messages does not get them
written to stdout, stderr, the result file or the JSONL journal."""
import http.server
import json
import threading

import pytest

from conftest import free_port, run_cli

API_KEY = "sk-env-key-0123456789"
HEADER_TOKEN = "hdr-token-abcdef987"
TEAM_SECRET = "team-secret-value-42"
SECRETS = (API_KEY, HEADER_TOKEN, TEAM_SECRET)


class EchoServer:
    """Answers /v1/models; every other request gets a 401 whose message
    quotes the request's Authorization and X-Team-Secret headers, as some
    proxies and servers do. Records each request's Authorization headers."""

    def __init__(self):
        self.auth_seen = []  # per request: every Authorization header value
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, code, doc):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with outer.lock:
                    outer.auth_seen.append(self.headers.get_all("Authorization") or [])
                if self.path.rstrip("/").endswith("/v1/models"):
                    self.answer(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})
                    return
                echo = (f"invalid credentials: Authorization={self.headers.get('Authorization')}; "
                        f"X-Team-Secret={self.headers.get('X-Team-Secret')}")
                self.answer(401, {"error": {"message": echo, "type": "auth_error", "code": 401}})

            do_GET = do_POST = handle_any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echo_server():
    s = EchoServer()
    yield s
    s.close()


COMMANDS = {
    "bench": ["bench", "--pp", "16", "--tg", "4", "--runs", "1", "--no-warmup"],
    "load": ["load", "--num-prompts", "3", "--input-len", "16", "--output-len", "4"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("transport", ["h1", "curl"])
@pytest.mark.parametrize("explicit_auth", [True, False], ids=["header-and-key", "key-only"])
def test_one_authorization_and_no_secret_written(echo_server, tmp_path, command, transport,
                                                 explicit_auth):
    result = tmp_path / "result.json"
    jsonl = tmp_path / "run.jsonl"
    auth = ["--header", f"Authorization: Bearer {HEADER_TOKEN}"] if explicit_auth else []
    r = run_cli(*COMMANDS[command], "--base-url", echo_server.base_url, "--model", "m", *auth,
                "--header", f"X-Team-Secret: {TEAM_SECRET}",
                "--save-result", result, "--jsonl", jsonl, "--format", "json", "--quiet",
                env={"OPENAI_API_KEY": API_KEY, "BENCHY_TRANSPORT": transport}, timeout=60)
    # Every request benchy made carried exactly one Authorization header:
    # the one given explicitly, else the key's.
    sent = f"Bearer {HEADER_TOKEN}" if explicit_auth else f"Bearer {API_KEY}"
    assert echo_server.auth_seen, r.stderr
    for headers in echo_server.auth_seen:
        assert headers == [sent], echo_server.auth_seen
    notice = "is sent instead of the API key"
    assert r.stderr.count(notice) == (1 if explicit_auth else 0), r.stderr

    outputs = {"stdout": r.stdout, "stderr": r.stderr}
    for path in (result, jsonl):
        if path.exists():
            outputs[path.name] = path.read_text()
    for name, text in outputs.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} written to {name}:\n{text}"
    # The server's message did reach the output, with the secrets replaced:
    # without this the test could pass because the echo was dropped. The
    # whole header value is a secret; so is the key after "Bearer ".
    shown = "[redacted]" if explicit_auth else "Bearer [redacted]"
    everything = "\n".join(outputs.values())
    assert f"invalid credentials: Authorization={shown}; X-Team-Secret=[redacted]" \
        in everything, outputs
    if command == "load":
        # The records themselves carry the scrubbed message.
        records = [json.loads(line) for line in jsonl.read_text().splitlines()]
        errors = [rec["error"] for rec in records if "error" in rec]
        assert errors and all("[redacted]" in e for e in errors), errors


@pytest.mark.parametrize("command", [["bench", "-p", "16", "-n", "2"], ["load", "--num-prompts", "1"],
                                     ["meta"]])
def test_url_credentials_never_in_an_error(command):
    # A dead server: the error names the URL it tried, never its password.
    url = f"http://someone:hunter2pass@127.0.0.1:{free_port()}/v1"
    p = run_cli(*command, "--base-url", url, "--model", "m", timeout=60)
    assert "hunter2pass" not in p.stdout + p.stderr, p.stderr
    assert "someone:" not in p.stdout + p.stderr, p.stderr


@pytest.mark.parametrize("command", [["bench", "-p", "16", "-n", "2", "-r", "1"],
                                     ["load", "--num-prompts", "2"]])
def test_a_key_in_extra_body_is_sent_never_written(sim_factory, tmp_path, command):
    # A server-side key or a long grammar in --extra-body: the run works (a
    # 2,000-byte grammar once overflowed bench's --jsonl fingerprint even
    # without --jsonl), and no output holds the key.
    sim = sim_factory("--decode-tps", "5000", "--overhead-ms", "1")
    body = json.dumps({"api_key": "sk-" + "q" * 24, "grammar": "root ::= " + "x" * 2000})
    jsonl = tmp_path / "run.jsonl"
    p = run_cli(*command, "--base-url", sim.base_url, "--model", "sim", "--extra-body", body,
                "--format", "json", "--jsonl", jsonl, timeout=120)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["config"]["extra-body"]["grammar"].endswith("x" * 2000)  # the rest is kept
    for text in (p.stdout, p.stderr, jsonl.read_text()):
        assert "sk-" + "q" * 24 not in text
