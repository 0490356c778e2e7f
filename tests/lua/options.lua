-- benchy.option: declared options, their defaults, -e values and choices.
-- Run: benchy run tests/lua/options.lua -e mode=fast (tests/python/test_lua_module.py)
local benchy = require "benchy"

local mode = benchy.option{name = "mode", default = "slow", choices = {"slow", "fast"},
                           help = "How fast to go."}
local tokens = benchy.option{name = "tokens", default = 5, help = "max_tokens per request."}
local nothing = benchy.option{name = "nothing", help = "No default, not given."}

assert(mode == "fast", "-e mode=fast reaches the script: " .. tostring(mode))
assert(benchy.options.mode == "fast", "and benchy.options")
assert(tokens == "5" and benchy.options.tokens == "5", "a default is a string like -e values")
assert(nothing == nil and benchy.options.nothing == nil, "no default, not given: nil")

-- benchy's own options are never redefined, and a name is declared once
local ok, err = pcall(benchy.option, {name = "users"})
assert(not ok and err:find("benchy's own option %-%-users"), err)
ok, err = pcall(benchy.option, {name = "mode"})
assert(not ok and err:find("declared twice"), err)
ok, err = pcall(benchy.option, {name = "bad", default = "x", choices = {"a", "b"}})
assert(not ok and err:find("not one of its choices"), err)

benchy.scenario("options", function(s)
  -- benchy.plan: how the run was asked to go (the test gives --users 2)
  assert(math.type(benchy.plan.users) == "integer" and benchy.plan.users == 2, tostring(benchy.plan.users))
  assert(benchy.plan.iterations == nil and benchy.plan.duration == nil and benchy.plan.rate == nil)
  local r = s:chat{messages = {{role = "user", content = "hi"}}, max_tokens = tonumber(tokens)}
  assert(r.ok, r.error)
  assert(r.metrics.output_tokens == 5)
  -- only at the top level
  local ok2, err2 = pcall(benchy.option, {name = "late"})
  assert(not ok2 and err2:find("top of the script"), err2)
end)
