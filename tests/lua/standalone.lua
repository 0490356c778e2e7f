-- require "benchy" from a plain lua5.4 and benchy.run{}: the result as a
-- table, a second run starting afresh, targets, thresholds, errors.
-- Run: lua5.4 tests/lua/standalone.lua BASE_URL OTHER_BASE_URL
-- (with package.cpath naming build/release/bindings/lua/?.so; tests/python/test_lua_module.py)
local benchy = require "benchy"
local url, other = arg[1], arg[2]
assert(url and other, "usage: lua5.4 standalone.lua BASE_URL OTHER_BASE_URL")
assert(type(benchy.run) == "function" and benchy.version)

local b = benchy.target{name = "other", base_url = other}
thresholds = {["hello.ttft.p99"] = "< 60000"}

benchy.scenario("hello", function(s)
  local r = s:chat{messages = {{role = "user", content = "Hi!"}}, max_tokens = 5}
  s:check(r.ok, "answered")
  s:metric("tokens", r.metrics.output_tokens)
  local r2 = s:chat{target = b, messages = {{role = "user", content = "Hi!"}}, max_tokens = 3}
  s:check(r2.ok and r2.metrics.output_tokens == 3, "other answered")
  -- a scenario may not start a run of its own
  local ok, err = pcall(benchy.run, {base_url = url})
  assert(not ok and err:find("not from a scenario"), err)
end)

local res = benchy.run{base_url = url, users = 3, iterations = 2, seed = 7}
assert(res.kind == "run" and res.status == "OK", res.error)
assert(res.script_errors == 0, res.error)
local agg = res.aggregates[1]
assert(agg.scenario == "hello" and agg.iterations == 6, agg.iterations)
assert(agg.by_target.default.completed == 6 and agg.by_target.other.completed == 6)
assert(agg.checks.answered.passed == 6 and agg.checks["other answered"].passed == 6)
assert(agg.metrics.tokens.count == 6 and agg.metrics.tokens.mean == 5)
assert(#res.records == 12 and res.records[1].scenario == "hello")
assert(res.thresholds[1].name == "hello.ttft.p99" and res.thresholds[1].ok == true)
assert(res.metadata.users == 3 and res.metadata.script:find("standalone.lua"))
assert(res.config.users == 3)

-- a second run starts afresh: its own counts, checks and metrics
local res2 = benchy.run{base_url = url, users = 1, iterations = 1}
local agg2 = res2.aggregates[1]
assert(res2.status == "OK" and agg2.iterations == 1 and agg2.completed == 2, agg2.completed)
assert(agg2.checks.answered.passed == 1 and agg2.metrics.tokens.count == 1)
assert(#res2.thresholds == 1, "thresholds parsed once per run")

-- a failed threshold is the result's status, not an error
thresholds = {["hello.ttft.p99"] = "< 0.000001"}
local res3 = benchy.run{base_url = url}
assert(res3.status == "ERR_LIMIT" and res3.thresholds[1].ok == false, res3.status)
thresholds = nil

-- what cannot start is an error naming the problem
local ok, err = pcall(benchy.run, {base_url = url, userz = 2})
assert(not ok and err:find("unknown option '%-%-userz'; did you mean %-%-users"), err)
ok, err = pcall(benchy.run, {base_url = "http://127.0.0.1:9/v1"})
assert(not ok and err:find("benchy.run: cannot reach the server"), err)
ok, err = pcall(benchy.run, {base_url = url, users = {}})
assert(ok, "an empty list sets nothing: " .. tostring(err))
print("standalone ok")
