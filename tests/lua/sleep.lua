-- benchy.sleep(ms) yields to a loop timer: the user waits at least that
-- long, and other users run meanwhile (one thread).
local benchy = require "benchy"

benchy.scenario("sleep", function(s)
  local t0 = os.clock()
  local w0 = os.time()
  local before = s:chat{messages = {{role = "user", content = "a"}}, max_tokens = 1}
  benchy.sleep(0)
  benchy.sleep(30)
  local after = s:chat{messages = {{role = "user", content = "b"}}, max_tokens = 1}
  assert(before.ok and after.ok)
  -- sleeping used no CPU: the loop waited, it did not spin.
  assert(os.clock() - t0 < 0.5, "sleep spun the CPU")
  assert(os.time() - w0 < 30)
  local ok, err = pcall(benchy.sleep, -1)
  assert(not ok and err:find(">= 0"), err)
end)
