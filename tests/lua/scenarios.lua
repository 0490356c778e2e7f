-- benchy.scenario with weights, s:check, s:metric, thresholds, options.
-- Run with --users 4 --iterations 10 -e greeting=hello: the pytest checks
-- the per-scenario table and the result document this produces.
local benchy = require "benchy"

assert(benchy.options.greeting == "hello", "-e greeting=hello reaches benchy.options")
assert(type(benchy.version) == "string")

thresholds = {
  ["heavy.ttft.p99"] = "< 60000",
  ["light.failed"] = "== 0",
  ["light.wait_ms.mean"] = ">= 0",
}

benchy.scenario("heavy", function(s)
  local r = s:chat{messages = {{role = "user", content = benchy.options.greeting}}, max_tokens = 4}
  s:check(r.ok, "answered")
  s:check(false, "always fails")
end, {weight = 3})

benchy.scenario("light", function(s)
  local r = s:chat{messages = {{role = "user", content = "hi"}}, max_tokens = 2}
  assert(s:check(r.ok, "answered") == true)
  s:metric("wait_ms", r.metrics.ttft_ms)
  s:metric("wait_ms", r.metrics.e2e_ms)
end, {weight = 1, metrics = {"wait_ms"}})

-- defining a scenario twice, or with a dot in its name, is an error
assert(not pcall(benchy.scenario, "heavy", function() end))
assert(not pcall(benchy.scenario, "a.b", function() end))
