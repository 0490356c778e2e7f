-- annie.lua — the five turns of "Annie", a voice assistant, measured as a
-- voice user feels them. Per scenario: TTFT, time to first sentence (TTFS:
-- when the assistant can start speaking), total latency (E2EL), output
-- tokens, tok/s, and for the tool turn whether the call is well-formed.
--
--   greeting        a short greeting, < 50 tokens out
--   conversational  a conversational answer of 100-200 tokens
--   tool_call       a question Annie answers by calling search_memory (of
--                   search_memory, web_search, read_notes); the call is graded
--                   against its JSON Schema in C (valid %, buckets), then the
--                   tool result is sent back and the answer's TTFT is the
--                   scenario's tool_result_ttft
--   five_turns      a five-turn conversation whose context grows each turn
--   briefing        a ~2K-token system prompt with the morning briefing
--
-- Run (against llama-server, vLLM, SGLang or anything OpenAI-compatible):
--   benchy run workloads/annie.lua --base-url http://127.0.0.1:8080/v1 --users 4 --duration 120
--   benchy run workloads/annie.lua ... -e thinking=on       (default: off)
-- thinking=on|off is sent as chat_template_kwargs.enable_thinking.
-- Against the simulator (no real text; --sentence-every gives its answers
-- sentences, so TTFS has something to measure):
--   benchy sim --port 8090 --sentence-every 12 &
--   benchy run workloads/annie.lua --base-url http://127.0.0.1:8090/v1 --users 3 --iterations 10
-- Iterations take the scenarios in turn (equal weights): 5 iterations in all
-- run each once; fewer leave rows empty, and benchy says so.
local benchy = require "benchy"

local thinking = benchy.option{name = "thinking", default = "off", choices = {"on", "off"},
  help = "sent as chat_template_kwargs.enable_thinking (llama-server, SGLang, vLLM chat templates)"}
local extra = {chat_template_kwargs = {enable_thinking = thinking == "on"}}

local PERSONA = "You are Annie, a warm and concise voice assistant. Your answers are spoken " ..
  "aloud, so use short plain sentences, no lists, no markdown."

local function tool(name, description, properties, required)
  return {type = "function", ["function"] = {name = name, description = description,
          parameters = {type = "object", properties = properties, required = required,
                        additionalProperties = false}}}
end

-- search_memory first: the simulator calls the first tool offered.
local TOOLS = {
  tool("search_memory", "Search what the user told Annie before (people, dates, preferences).", {
    query = {type = "string", minLength = 1, description = "What to look for, in plain words"},
    limit = {type = "integer", minimum = 1, maximum = 20, description = "Most results to return"},
    kind = {type = "string", enum = {"person", "event", "preference", "any"}},
  }, {"query"}),
  tool("web_search", "Search the web for current information.", {
    query = {type = "string", minLength = 1},
    recency_days = {type = "integer", minimum = 1, maximum = 365},
    site = {type = "string"},
  }, {"query"}),
  tool("read_notes", "Read the user's notes in a folder, newest first.", {
    folder = {type = "string", enum = {"inbox", "work", "home", "travel"}},
    since = {type = "string", description = "ISO date, e.g. 2024-05-01"},
    max_notes = {type = "integer", minimum = 1, maximum = 50},
  }, {"folder"}),
}

local function chat(s, req)
  req.extra = extra
  return s:chat(req)
end

benchy.scenario("greeting", function(s)
  local r = chat(s, {messages = {{role = "system", content = PERSONA},
                                 {role = "user", content = "Good morning Annie!"}}, max_tokens = 48})
  s:check(r.ok, "answered")
  if r.ok then s:check((r.usage.completion_tokens or r.metrics.output_tokens) < 50, "greeting under 50 tokens") end
end)

benchy.scenario("conversational", function(s)
  local r = chat(s, {messages = {{role = "system", content = PERSONA},
    {role = "user", content = "I can't decide between hiking and a museum this Saturday. " ..
      "Talk me through it in a few sentences."}}, max_tokens = 180})
  s:check(r.ok, "answered")
  local n = r.metrics.output_tokens or 0
  if r.ok then s:check(n >= 100 and n <= 200, "answer of 100-200 tokens") end
end)

benchy.scenario("tool_call", function(s)
  local c = benchy.conversation{system = PERSONA}
  c:user("When is my sister's birthday again? I told you last month.")
  local r = c:send(s, {tools = TOOLS, expect_tool = "search_memory", max_tokens = 96, extra = extra})
  s:check(r.ok, "answered")
  if not r.ok then return end
  local g = r.tool_grade
  s:check(g.ok, "tool call is search_memory with well-formed arguments")
  if not g.ok then
    -- the failure, named: the tool-call table counts the same buckets
    s:check(false, "tool call: " .. g.bucket)
    return
  end
  local call = r.tool_calls[1]
  c:tool_result(call.id, {results = {{text = "Sister Maya's birthday is on the 14th of June.",
                                      saved = "2024-05-02"}}})
  local a = c:send(s, {tools = TOOLS, tool_choice = "none", max_tokens = 64, extra = extra})
  s:check(a.ok, "answered after the tool result")
end)

benchy.scenario("five_turns", function(s)
  local c = benchy.conversation{system = PERSONA}
  local asks = {"Let's plan dinner for Friday.", "Four people, one is vegetarian.",
                "Something Italian would be nice.", "What should I buy today?",
                "And how long will it take to cook?"}
  local prev = 0
  for turn, text in ipairs(asks) do
    c:user(text)
    local r = c:send(s, {max_tokens = 80, extra = extra})
    s:check(r.ok, "turn answered")
    if not r.ok then return end
    local prompt = r.usage.prompt_tokens or 0
    s:check(prompt > prev, "context grows each turn")
    prev = prompt
    s:metric("turn" .. turn .. "_ttft_ms", r.metrics.ttft_ms)
  end
end, {metrics = {"turn1_ttft_ms", "turn5_ttft_ms"}})

-- A ~2K-token system prompt: Annie's instructions and today's briefing.
local BRIEFING = (function()
  local parts = {PERSONA, "\n\nToday's briefing for the user. Use it when they ask about their day.\n"}
  local days = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
  local people = {"Maya", "Tom", "Priya", "Jonas", "Alex", "Sam", "Lena", "Omar"}
  for i = 1, 60 do
    parts[#parts + 1] = ("- %s %02d:%02d, meeting with %s about the %s project; bring the notes from " ..
      "last week and the budget figures. Travel time is about %d minutes.\n"):format(
      days[(i - 1) % #days + 1], 8 + i % 9, (i * 7) % 60, people[(i - 1) % #people + 1],
      ({"garden", "kitchen", "school", "holiday", "car"})[(i - 1) % 5 + 1], 10 + i % 25)
  end
  parts[#parts + 1] = "\nWeather: dry in the morning, showers after four, 17 degrees.\n"
  return table.concat(parts)
end)()

benchy.scenario("briefing", function(s)
  local r = chat(s, {messages = {{role = "system", content = BRIEFING},
    {role = "user", content = "What's on my plate today, and should I take an umbrella?"}}, max_tokens = 160})
  s:check(r.ok, "answered")
  if r.ok then s:check((r.usage.prompt_tokens or 0) >= 1500, "system prompt of about 2K tokens") end
end)
