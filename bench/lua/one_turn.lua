-- bench/lua_overhead.sh: one request per iteration, nothing else, so the
-- CPU it costs beyond `benchy load` doing the same requests is Lua's.
local benchy = require "benchy"
local tokens = tonumber(benchy.option{name = "max_tokens", default = 16, help = "max_tokens per request"})
local messages = {{role = "user", content = "go"}}
benchy.scenario("one_turn", function(s)
  s:chat{messages = messages, max_tokens = tokens}
end)
