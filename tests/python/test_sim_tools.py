"""benchy sim for tool-using workloads, end to end through the CLI: tool-call
arguments that follow the declared schema, --fault-bad-tool-args breaking
them in its three ways (and counting them), enable_thinking, and tool-result
messages in the prompt count."""
import json
import urllib.request

from conftest import run_cli

TOOLS = [{"type": "function", "function": {"name": "search_memory", "parameters": {
    "type": "object", "required": ["query", "scope"], "additionalProperties": False,
    "properties": {"query": {"type": "string"}, "scope": {"type": "string", "enum": ["notes", "mail"]},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 5}}}}}]


def post(sim, path, body):
    root = sim.base_url[: -len("/v1")]
    req = urllib.request.Request(root + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def get(sim, path):
    with urllib.request.urlopen(sim.base_url[: -len("/v1")] + path, timeout=30) as r:
        return json.loads(r.read())


def call_arguments(sim, max_tokens=20, **extra):
    body = {"messages": [{"role": "user", "content": "find my garden notes"}], "tools": TOOLS,
            "max_tokens": max_tokens, **extra}
    msg = post(sim, "/v1/chat/completions", body)["choices"][0]["message"]
    return msg["tool_calls"][0]["function"]["arguments"]


def kind_of(text):
    """The way arguments break, judged as a client would."""
    try:
        args = json.loads(text)
    except ValueError:
        return "invalid_json"
    if "query" not in args:
        return "missing_required"
    if not isinstance(args["query"], str):
        return "wrong_type"
    assert args["scope"] in ("notes", "mail") and 1 <= args["limit"] <= 5 and set(args) == {"query", "scope", "limit"}
    return "ok"


def test_arguments_follow_the_schema(sim_factory):
    sim = sim_factory("--decode-tps", "50000")
    kinds = [kind_of(call_arguments(sim, max_tokens=n)) for n in range(1, 41)]
    assert kinds == ["ok"] * 40


def test_fault_bad_tool_args_breaks_and_counts(sim_factory):
    sim = sim_factory("--decode-tps", "50000", "--fault-bad-tool-args", "0.5", "--seed", "7")
    kinds = [kind_of(call_arguments(sim)) for _ in range(200)]
    bad = [k for k in kinds if k != "ok"]
    assert 60 < len(bad) < 140, len(bad)
    assert {k: bad.count(k) > 15 for k in ("invalid_json", "missing_required", "wrong_type")} == \
        {"invalid_json": True, "missing_required": True, "wrong_type": True}, bad
    stats = get(sim, "/sim/stats")
    assert stats["faults_by_kind"]["bad_tool_args"] == len(bad)
    # Seeded: a fresh simulator with the same seed breaks the same calls.
    again = sim_factory("--decode-tps", "50000", "--fault-bad-tool-args", "0.5", "--seed", "7")
    assert [kind_of(call_arguments(again)) for _ in range(200)] == kinds


def test_fault_option_is_in_help_and_checked():
    help_text = run_cli("sim", "--help").stdout
    assert "--fault-bad-tool-args" in help_text
    bad = run_cli("sim", "--fault-bad-tool-args", "1.5", "--port", "1")
    assert bad.returncode != 0
    assert "fault-bad-tool-args" in bad.stderr


def test_enable_thinking_false_means_no_reasoning(sim_factory):
    sim = sim_factory("--decode-tps", "50000", "--reasoning-tokens", "4")
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    on = post(sim, "/v1/chat/completions", body)
    off = post(sim, "/v1/chat/completions", {**body, "chat_template_kwargs": {"enable_thinking": False}})
    assert on["usage"]["completion_tokens_details"]["reasoning_tokens"] == 4
    assert on["choices"][0]["message"]["reasoning_content"]
    assert off["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0
    assert "reasoning_content" not in off["choices"][0]["message"]
    assert off["usage"]["completion_tokens"] == 10


def test_tool_result_message_is_counted(sim_factory):
    sim = sim_factory("--decode-tps", "50000")
    first = [{"role": "user", "content": "find my garden notes"}]
    turn = first + [
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "search_memory", "arguments": "{\"query\":\"garden\",\"scope\":\"notes\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Plant the tulips in October."}]
    short = post(sim, "/tokenize", {"messages": first})["count"]
    full = post(sim, "/tokenize", {"messages": turn})["count"]
    assert full > short
    answer = post(sim, "/v1/chat/completions", {"messages": turn, "max_tokens": 4})
    assert answer["usage"]["prompt_tokens"] == full
    assert "Plant the tulips" in post(sim, "/apply-template", {"messages": turn})["prompt"]
