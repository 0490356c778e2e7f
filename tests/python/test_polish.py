"""Small fixes found while merging issues 12-14, each through the CLI:
`benchy compare` and `benchy table` name a bench row as `benchy bench`'s
table does (the depth and concurrency once), and the secret-name rule no
longer hides the values of names that count tokens (`max_tokens=32`) while
every credential-looking name stays hidden."""
import json
import zlib

from conftest import run_cli

FAST = ("--decode-tps", "5000", "--prefill-tps", "1000000", "--overhead-ms", "1")


# ---- bench rows in compare and table --------------------------------------

def bench_with_depth(sim, path):
    r = run_cli("bench", "--base-url", sim.base_url, "--pp", "64", "--tg", "8", "--depth", "256",
                "--concurrency", "1,2", "--runs", "2", "--no-warmup", "--quiet",
                "--save-result", path, "--format", "json")
    assert r.returncode == 0, r.stderr
    return [row["test"] for row in json.loads(r.stdout)["aggregates"]]


def test_compare_and_table_name_deeper_bench_rows_as_bench_does(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    tests = bench_with_depth(sim, a)
    assert bench_with_depth(sim, b) == tests
    # What bench's own table calls them: depth and concurrency once each.
    assert tests == ["pp64 @ d256 (c1)", "tg8 @ d256 (c1)", "pp64 @ d256 (c2)", "tg8 @ d256 (c2)"]

    doc = json.loads(run_cli("compare", a, b, "--format", "json").stdout)
    assert {row["row"] for row in doc["rows"]} == set(tests), doc["rows"]
    md = run_cli("compare", a, b)
    assert md.returncode == 0, md.stderr
    for name in tests:
        assert f"| {name} | t/s total |" in md.stdout, md.stdout
    assert "@ d256 @" not in md.stdout and ") c2" not in md.stdout, md.stdout

    table = json.loads(run_cli("table", a, b, "--format", "json").stdout)
    assert table["columns"] == [f"{name} t/s" for name in tests], table["columns"]


# ---- which names are secret -------------------------------------------------

COUNTS = ("max_tokens", "num_tokens", "MAX_TOKENS", "prompt_tokens", "max_new_tokens")
SECRETS = ("HF_TOKEN", "token", "GITHUB_TOKEN", "access_token", "X-Auth-Token", "TOKENIZER_SECRET")


def value_of(name):
    # Distinct, searchable, and not key-shaped (no sk-/hf_ prefix), so only
    # the name decides whether it is hidden.
    return f"v{zlib.crc32(name.encode()):010d}"


def env_name(name):
    return "POLISH_" + name.replace("-", "_")


def script_checking(names):
    """A script that checks every -e value reaches it as given, hidden or not."""
    checks = "".join(f'assert(benchy.options["{n}"] == "{value_of(n)}", "-e {n}")\n' for n in names)
    return f'local benchy = require "benchy"\n{checks}benchy.scenario("noop", function(s) end)\n'


def test_counts_of_tokens_are_kept_and_credentials_hidden(sim_factory, tmp_path):
    sim = sim_factory(*FAST)
    names = COUNTS + SECRETS
    script = tmp_path / "noop.lua"
    script.write_text(script_checking(names))
    defines = [w for n in names for w in ("-e", f"{n}={value_of(n)}")]
    metadata = [f"{n}={value_of(n)}" for n in names]
    env = {env_name(n): value_of(n) for n in names}
    result = tmp_path / "run.json"
    r = run_cli("run", script, "--base-url", sim.base_url, "--quiet", "--iterations", "1",
                *defines, "--metadata", *metadata, "--meta-env", "POLISH_",
                "--save-result", result, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    for text, where in ((r.stdout, "stdout"), (r.stderr, "stderr"), (result.read_text(), "result")):
        for n in SECRETS:
            assert value_of(n) not in text, f"{n}'s value leaked into {where}"
    doc = json.loads(result.read_text())

    define = dict(d.split("=", 1) for d in doc["config"]["define"])
    user = doc["metadata"]["user"]
    menv = doc["metadata"]["env"]
    line = " ".join(doc["metadata"]["command_line"])
    for n in COUNTS:
        assert define[n] == value_of(n), (n, define)
        assert user[n] == value_of(n), (n, user)
        assert menv[env_name(n)] == value_of(n), (n, menv)
        assert f"{n}={value_of(n)}" in line, (n, line)
    for n in SECRETS:
        assert define[n] == "[redacted]", (n, define)
        assert user[n] == "[redacted]", (n, user)
        assert menv[env_name(n)] == "[redacted]", (n, menv)
        assert f"{n}=[redacted]" in line, (n, line)
