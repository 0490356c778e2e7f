-- session:chat and the response table: text, finish reason, usage, tool
-- calls, metrics (the engine's own figures), turn counting, extra fields.
-- Run: benchy run tests/lua/chat.lua --base-url <a benchy sim> (tests/python/test_lua_run.py)
local benchy = require "benchy"

benchy.scenario("chat", function(s)
  local r = s:chat{messages = {{role = "user", content = "Say hello"}}, max_tokens = 16, temperature = 0}
  assert(r.ok, r.error)
  assert(r.status == "OK", r.status)
  assert(r.http_status == 200)
  assert(type(r.text) == "string" and #r.text > 0, "text")
  assert(r.finish_reason == "length", r.finish_reason)
  assert(r.usage.completion_tokens == 16, "usage " .. tostring(r.usage.completion_tokens))
  assert(r.usage.prompt_tokens > 0)
  local m = r.metrics
  assert(m.ttft_ms > 0 and m.e2e_ms >= m.ttft_ms, "ttft/e2e")
  assert(m.ttfr_ms <= m.ttft_ms, "ttfr before ttft")
  assert(m.tpot_ms > 0, "tpot")
  assert(m.output_tokens == 16, "output tokens")
  assert(#m.itl_ms >= 1, "itl list")
  for _, gap in ipairs(m.itl_ms) do assert(gap >= 0) end
  assert(m.tok_s > 0)
  assert(#r.tool_calls == 0)
  assert(r.turn == 1 and s.turn == 1, "turn")
  assert(s.scenario == "chat" and s.user >= 1 and s.iteration >= 1)

  -- extra fields reach the body; named fields win over the same key in extra.
  local r2 = s:chat{messages = {{role = "user", content = "x"}}, max_tokens = 4,
                    extra = {max_tokens = 999, top_k = 1}}
  assert(r2.ok, r2.error)
  assert(r2.metrics.output_tokens == 4, "max_tokens from the named field")
  assert(r2.turn == 2)

  -- a tool call: name, id, arguments decoded, raw text kept
  local tools = {{type = "function", ["function"] = {name = "search_memory",
    parameters = {type = "object", properties = {query = {type = "string"}}, required = {"query"}}}}}
  local r3 = s:chat{messages = {{role = "user", content = "find my keys"}}, tools = tools, max_tokens = 12}
  assert(r3.ok, r3.error)
  assert(r3.finish_reason == "tool_calls", r3.finish_reason)
  assert(#r3.tool_calls == 1)
  local t = r3.tool_calls[1]
  assert(t.name == "search_memory", t.name)
  assert(type(t.id) == "string" and #t.id > 0)
  assert(type(t.arguments_raw) == "string")
  assert(type(t.arguments) == "table", "arguments decoded: " .. t.arguments_raw)
  assert(benchy.json_encode(t.arguments) ~= nil)

  -- a bad request body is the script's error, raised in the user
  local ok, err = pcall(s.chat, s, {max_tokens = 4})
  assert(not ok and err:find("messages"), err)
end)
