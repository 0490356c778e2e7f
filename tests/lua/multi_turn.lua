-- Many users each holding a growing five-turn conversation with think
-- time (the 200-user test runs this).
local benchy = require "benchy"

benchy.scenario("multi_turn", function(s)
  local c = benchy.conversation{system = "You are a helpful assistant."}
  for turn = 1, 5 do
    c:user("question " .. turn .. " from user " .. s.user)
    local r = c:send(s, {max_tokens = 8})
    s:check(r.ok, "turn answered")
    benchy.sleep(1)
  end
end)
