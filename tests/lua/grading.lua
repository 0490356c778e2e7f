-- Tool calls graded in C: r.tool_grade, each call's valid/bucket/message,
-- expect_tool (wrong_tool, no_call), the tool-call times in r.metrics, and
-- a turn that answers a tool result (the scenario's tool_result_ttft).
-- Run: benchy run tests/lua/grading.lua --base-url <a benchy sim> (tests/python/test_lua_run.py)
local benchy = require "benchy"

local function tool(name, props, required)
  return {type = "function", ["function"] = {name = name, description = name,
          parameters = {type = "object", properties = props, required = required}}}
end
local tools = {
  tool("search_memory", {query = {type = "string"}, limit = {type = "integer", minimum = 1, maximum = 10}}, {"query"}),
  tool("web_search", {q = {type = "string"}}, {"q"}),
}
local ask = {{role = "user", content = "Where did I park?"}}

benchy.scenario("grading", function(s)
  -- the sim calls the first tool with arguments that follow its schema
  local r = s:chat{messages = ask, tools = tools, expect_tool = "search_memory", max_tokens = 20}
  assert(r.ok, r.error)
  local g = r.tool_grade
  assert(g and g.ok == true and g.bucket == "ok" and g.message == nil, "graded ok")
  local call = r.tool_calls[1]
  assert(call.valid == true and call.bucket == "ok", "the call is valid")
  local m = r.metrics
  assert(m.t_first_tool_ms and m.t_first_tool_ms > 0, "time to the first tool-call delta")
  assert(m.t_tool_args_done_ms >= m.t_first_tool_ms, "arguments complete after they began")
  assert(m.t_tool_args_done_ms <= m.e2e_ms, "and before the response ended")
  assert(m.ttfs_ms == nil, "a tool call has no sentence")

  -- an offered tool that is not the one expected
  r = s:chat{messages = ask, tools = tools, expect_tool = "web_search", max_tokens = 20}
  assert(r.tool_grade.ok == false and r.tool_grade.bucket == "wrong_tool", r.tool_grade.bucket)
  assert(r.tool_grade.message == "called search_memory, expected web_search", r.tool_grade.message)
  assert(r.tool_grade.call == 1)
  assert(r.tool_calls[1].valid == false and r.tool_calls[1].bucket == "wrong_tool")

  -- no call where one was expected
  r = s:chat{messages = ask, tools = tools, tool_choice = "none", expect_tool = "search_memory", max_tokens = 8}
  assert(#r.tool_calls == 0)
  assert(r.tool_grade.bucket == "no_call" and r.tool_grade.message:find("expected search_memory"),
         r.tool_grade.message)

  -- a text answer where none was expected is not graded; nor is a request without tools
  r = s:chat{messages = ask, tools = tools, tool_choice = "none", max_tokens = 8}
  assert(r.tool_grade == nil, "text answer, no expectation")
  r = s:chat{messages = ask, max_tokens = 8}
  assert(r.tool_grade == nil and r.metrics.t_first_tool_ms == nil)

  -- expect_tool without tools, or not a string: the script's error
  local ok, err = pcall(s.chat, s, {messages = ask, expect_tool = "search_memory"})
  assert(not ok and err:find("needs tools"), err)
  ok, err = pcall(s.chat, s, {messages = ask, tools = tools, expect_tool = 3})
  assert(not ok and err:find("expect_tool must be"), err)

  -- the answer to a tool result: its TTFT is the scenario's tool_result_ttft
  local c = benchy.conversation{system = "You are a voice assistant."}
  c:user("Where did I park?")
  r = c:send(s, {tools = tools, expect_tool = "search_memory", max_tokens = 20})
  assert(r.tool_grade.ok)
  c:tool_result(r.tool_calls[1].id, {results = {"Level 2, spot 14"}})
  r = c:send(s, {max_tokens = 12})
  assert(r.ok and r.metrics.ttft_ms > 0)
  s:metric("answer_ttft", r.metrics.ttft_ms)
end, {metrics = {"answer_ttft"}})

thresholds = {
  ["grading.tool_valid_rate"] = ">= 0.5",
  ["grading.tool_graded"] = ">= 4",
  ["grading.tool_result_ttft.p99"] = "> 0",
}
