-- benchy.conversation: system prompt, :user, :send appends the reply
-- (tool calls included), :assistant replays a reply, :tool_result, and the
-- history grows.
local benchy = require "benchy"

local tools = {{type = "function", ["function"] = {name = "read_notes",
  parameters = {type = "object", properties = {topic = {type = "string"}}}}}}

benchy.scenario("conversation", function(s)
  local c = benchy.conversation{system = "You are terse."}
  assert(c:len() == 1 and c.messages[1].role == "system")
  local prompt_tokens = 0
  for turn = 1, 3 do
    c:user("turn " .. turn)
    local r = c:send(s, {max_tokens = 6})
    assert(r.ok, r.error)
    assert(c.messages[#c.messages].role == "assistant")
    assert(c.messages[#c.messages].content == r.text)
    -- the context grows with every turn
    assert(r.usage.prompt_tokens > prompt_tokens, "prompt grows")
    prompt_tokens = r.usage.prompt_tokens
  end
  assert(c:len() == 7, c:len())
  c:user("what do my notes say?")
  local r = c:send(s, {tools = tools, max_tokens = 8})
  assert(r.ok and #r.tool_calls == 1, "tool call")
  local last = c.messages[#c.messages]
  assert(last.tool_calls[1].id == r.tool_calls[1].id)
  assert(last.tool_calls[1]["function"].name == "read_notes")
  c:tool_result(r.tool_calls[1].id, {notes = "buy milk"})
  assert(c.messages[#c.messages].role == "tool")
  assert(c.messages[#c.messages].tool_call_id == r.tool_calls[1].id)
  assert(c.messages[#c.messages].content == '{"notes":"buy milk"}')
  local r2 = c:send(s, {max_tokens = 5})
  assert(r2.ok, r2.error)
  assert(r2.usage.prompt_tokens > prompt_tokens)
  -- a reply written by the script (a recorded conversation replayed) joins
  -- the history as the assistant's and is sent with the next turn
  local before = c:len()
  c:assistant("Earlier I said: milk.")
  assert(c:len() == before + 1)
  assert(c.messages[#c.messages].role == "assistant")
  assert(c.messages[#c.messages].content == "Earlier I said: milk.")
  c:user("and then?")
  local r3 = c:send(s, {max_tokens = 4})
  assert(r3.ok, r3.error)
  assert(r3.usage.prompt_tokens > r2.usage.prompt_tokens, "the replayed reply was sent")
end)
