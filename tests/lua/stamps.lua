-- The response's figures are the engine's receive stamps, as in benchy
-- load: the first content chunk's t_ms is r.metrics.ttft_ms exactly, and it
-- lies just after the simulator's own send stamp of that chunk (benchy sim
-- stamps every chunk; the bound is generous for a loaded machine).
-- Run: benchy run tests/lua/stamps.lua --base-url <a benchy sim> (tests/python/test_lua_module.py)
local benchy = require "benchy"
local bound_ms = tonumber(benchy.option{name = "bound_ms", default = 250,
                                        help = "largest delivery delay accepted"})

benchy.scenario("stamps", function(s)
  local first, chunks, last_t = nil, 0, -1
  local r = s:chat{messages = {{role = "user", content = "stamps"}}, max_tokens = 12,
                   on_chunk = function(text, c)
                     chunks = chunks + 1
                     assert(c.t_ms >= last_t, "receive times in order")
                     last_t = c.t_ms
                     assert(c.server_send_ms, "benchy sim stamps each chunk")
                     assert(c.server_send_ms <= c.t_ms, ("sent %.3f after received %.3f"):format(c.server_send_ms, c.t_ms))
                     assert(c.t_ms - c.server_send_ms < bound_ms,
                            ("delivery %.3f ms"):format(c.t_ms - c.server_send_ms))
                     if c.content and not first then first = c end
                   end}
  assert(r.ok, r.error)
  assert(first and chunks >= 2)
  assert(math.abs(first.t_ms - r.metrics.ttft_ms) < 1e-6,
         ("ttft %.6f is the first content chunk's receive time %.6f"):format(r.metrics.ttft_ms, first.t_ms))
  s:metric("delivery_ms", first.t_ms - first.server_send_ms)
end, {metrics = {"delivery_ms"}})
