-- bench/lua_overhead.sh: users that only wait, to weigh an idle user.
-- Each records the Lua heap (collectgarbage "count", KiB) while every user
-- is waiting: the last to start sees them all.
local benchy = require "benchy"
local wait_ms = tonumber(benchy.option{name = "wait_ms", default = 2000, help = "how long each user waits"})
benchy.scenario("idle", function(s)
  benchy.sleep(wait_ms / 2)
  s:metric("lua_heap_kib", collectgarbage("count"))
  benchy.sleep(wait_ms / 2)
end, {metrics = {"lua_heap_kib"}})
