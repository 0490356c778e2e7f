-- benchy calls wait only in the iteration's own coroutine.
local benchy = require "benchy"
-- Waiting in benchy from a coroutine of the script's own is refused (the
-- yield would go to that coroutine's resumer, not to benchy), as is
-- sleeping at the top level.
assert(not pcall(benchy.sleep, 1), "top-level sleep refused")
benchy.scenario("nesting", function(s)
  local co = coroutine.create(function()
    return s:chat{messages = {{role = "user", content = "x"}}, max_tokens = 1}
  end)
  local ok, err = coroutine.resume(co)
  assert(not ok and err:find("coroutine of your own"), tostring(err))
  local co2 = coroutine.create(function() benchy.sleep(1) end)
  ok, err = coroutine.resume(co2)
  assert(not ok and err:find("coroutine of your own"), tostring(err))
  local r = s:chat{messages = {{role = "user", content = "y"}}, max_tokens = 1}
  assert(r.ok)
end)
