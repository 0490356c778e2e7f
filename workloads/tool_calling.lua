-- tool_calling.lua — tool-call validity and latency under concurrency. Each
-- iteration asks a question that one of three tools answers; the request
-- offers all three and names the one expected (expect_tool), and benchy
-- grades every call in C against the tool's JSON Schema. Per scenario:
-- tool turns, valid %, unparsed %, the failure buckets (no_call,
-- wrong_tool, unparsed_arguments, missing_required, wrong_type, bad_value),
-- time to the first tool-call delta and to complete arguments (metrics
-- first_tool_ms, args_done_ms), and the TTFT of the answer to the tool
-- result (tool_result_ttft). Raise --users to see validity and latency as
-- concurrency grows; the threshold fails the run below 95% valid calls.
--
-- Run:
--   benchy run workloads/tool_calling.lua --base-url http://127.0.0.1:8080/v1 --users 16 --duration 60
--   benchy run workloads/tool_calling.lua ... -e thinking=on      (default: off)
-- Against the simulator (`benchy sim --port 8090`), and with broken calls
-- (`benchy sim --port 8090 --fault-bad-tool-args 0.3`) to see the buckets.
-- The expected tool is listed first: a real model chooses by the question,
-- the simulator always calls the first tool offered.
local benchy = require "benchy"

local thinking = benchy.options.thinking or "off"
if thinking ~= "on" and thinking ~= "off" then
  error("tool_calling.lua: -e thinking=" .. thinking .. " is not on or off", 0)
end
local extra = {chat_template_kwargs = {enable_thinking = thinking == "on"}}

local function tool(name, description, properties, required)
  return {type = "function", ["function"] = {name = name, description = description,
          parameters = {type = "object", properties = properties, required = required}}}
end

local DEFS = {
  get_weather = tool("get_weather", "Current weather and forecast for a city.", {
    city = {type = "string", minLength = 1},
    unit = {type = "string", enum = {"celsius", "fahrenheit"}},
    days = {type = "integer", minimum = 1, maximum = 7},
  }, {"city"}),
  create_event = tool("create_event", "Add an event to the user's calendar.", {
    title = {type = "string", minLength = 1},
    date = {type = "string", description = "YYYY-MM-DD"},
    start_time = {type = "string", description = "HH:MM, 24h"},
    duration_minutes = {type = "integer", minimum = 5, maximum = 720},
    attendees = {type = "array", items = {type = "string"}, maxItems = 10},
  }, {"title", "date"}),
  search_memory = tool("search_memory", "Search what the user told the assistant before.", {
    query = {type = "string", minLength = 1},
    limit = {type = "integer", minimum = 1, maximum = 20},
  }, {"query"}),
}
local ORDER = {"get_weather", "create_event", "search_memory"}
local ASKS = {
  get_weather = "Will it rain in Lisbon tomorrow? Answer in celsius.",
  create_event = "Put lunch with Priya on my calendar for next Tuesday at 12:30, one hour.",
  search_memory = "What was the name of the wine I liked at the wedding?",
}

benchy.scenario("tool_call", function(s)
  local want = ORDER[(s.user + s.iteration) % #ORDER + 1]
  local tools = {DEFS[want]}
  for _, name in ipairs(ORDER) do
    if name ~= want then tools[#tools + 1] = DEFS[name] end
  end
  local c = benchy.conversation{system = "You are a helpful assistant. Use a tool when one fits."}
  c:user(ASKS[want])
  local r = c:send(s, {tools = tools, expect_tool = want, max_tokens = 128, extra = extra})
  s:check(r.ok, "answered")
  if not r.ok then return end
  s:check(r.tool_grade.ok, "tool call is valid")
  if not r.tool_grade.ok then return end
  s:metric("first_tool_ms", r.metrics.t_first_tool_ms)
  s:metric("args_done_ms", r.metrics.t_tool_args_done_ms)
  for _, call in ipairs(r.tool_calls) do c:tool_result(call.id, {ok = true, result = "done"}) end
  local a = c:send(s, {tools = tools, tool_choice = "none", max_tokens = 48, extra = extra})
  s:check(a.ok, "answered after the tool result")
end, {metrics = {"first_tool_ms", "args_done_ms"}})

thresholds = {
  ["tool_call.tool_valid_rate"] = ">= 0.95",
}
