-- What a script may not do from inside: load bytecode, yield by itself.
local benchy = require "benchy"

benchy.scenario("safety", function(s)
  local f = load(string.dump(function() return 1 end))
  assert(f == nil, "load() refuses precompiled bytecode")
  assert(load(string.dump(function() return 1 end), "x", "b") == nil, "even when asked for mode b")
  -- no global keeps the unguarded load within a script's reach
  for name, v in pairs(_G) do
    local loader = type(v) == "function" and tostring(name):find("load", 1, true)
    assert(not loader or name == "load" or name == "loadfile",
           "a global reaches a load function: " .. tostring(name))
  end
  local g = load("return 41 + 1")
  assert(g() == 42, "load() of text still works")
  -- pcall around a request works across the yield
  local ok, r = pcall(s.chat, s, {messages = {{role = "user", content = "x"}}, max_tokens = 1})
  assert(ok and r.ok)
  -- coroutines of the script's own still work
  local co = coroutine.wrap(function() coroutine.yield(1); return 2 end)
  assert(co() == 1 and co() == 2)
  -- JSON helpers
  local t = benchy.json_decode('{"a":[1,2,{"b":true}]}')
  assert(t.a[3].b == true)
  assert(benchy.json_decode("{nope") == nil)
  assert(benchy.json_encode({1, 2, 3}) == "[1,2,3]")
end)
