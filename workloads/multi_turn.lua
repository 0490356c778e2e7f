-- multi_turn.lua — users holding growing conversations.
--
-- What it measures: each user holds one conversation of `turns` turns (a
-- system prompt, then a question per turn, every answer appended to the
-- history), so the prompt grows turn by turn. Per turn N the scenario keeps
--   turnN_ttft_ms        time to first token of turn N (how TTFT grows with context)
--   turnN_prompt_tokens  the prompt's length at turn N, as the server counted it
--   turnN_cached_pct     the share of that prompt the server took from its prefix
--                        cache (usage.prompt_tokens_details.cached_tokens, or
--                        llama.cpp's timings.cache_n), when the server reports it
-- and the check "prefix cache hit from turn 2" (counted only when the server
-- reports cached tokens: vLLM without --enable-prompt-tokens-details does not).
-- With a working prefix cache TTFT stays nearly flat as context grows; without
-- one it grows with the prompt.
--
-- Run (against a simulator: benchy sim --port 8090 &):
--   benchy run workloads/multi_turn.lua --base-url http://127.0.0.1:8090/v1 --users 50
--   benchy run workloads/multi_turn.lua -e turns=8 -e max_tokens=128 --users 200 --duration 120
-- Options (benchy run workloads/multi_turn.lua --help lists them): turns,
-- max_tokens, think_ms, system_words.
local benchy = require "benchy"

local turns = tonumber(benchy.option{name = "turns", default = 5, help = "Turns per conversation."})
local max_tokens = tonumber(benchy.option{name = "max_tokens", default = 64,
                                          help = "max_tokens of each answer."})
local think_ms = tonumber(benchy.option{name = "think_ms", default = 0,
                                        help = "Think time between a user's turns, in ms."})
local system_words = tonumber(benchy.option{name = "system_words", default = 200,
                                            help = "Length of the system prompt in words (the shared prefix)."})
assert(turns and turns >= 1, "-e turns=N: a whole number >= 1")
assert(max_tokens and max_tokens >= 1, "-e max_tokens=N: a whole number >= 1")
assert(think_ms and think_ms >= 0, "-e think_ms=MS: a number >= 0")
assert(system_words and system_words >= 0, "-e system_words=N: a number >= 0")

local words = {}
for i = 1, system_words do words[i] = ({"the", "assistant", "answers", "briefly", "and", "kindly"})[i % 6 + 1] end
local system = "You are a helpful assistant. " .. table.concat(words, " ")

local metric_names = {}
for t = 1, turns do
  for _, m in ipairs{"ttft_ms", "prompt_tokens", "cached_pct"} do
    metric_names[#metric_names + 1] = ("turn%d_%s"):format(t, m)
  end
end

benchy.scenario("multi_turn", function(s)
  local c = benchy.conversation{system = system}
  for turn = 1, turns do
    c:user(("Question %d of user %d: tell me more about what you said."):format(turn, s.user))
    local r = c:send(s, {max_tokens = max_tokens})
    if not s:check(r.ok, "turn answered") then return end -- a failed turn breaks the history
    local prefix = ("turn%d_"):format(turn)
    s:metric(prefix .. "ttft_ms", r.metrics.ttft_ms)
    local prompt = r.usage.prompt_tokens or (r.timings and r.timings.prompt_n)
    if prompt then s:metric(prefix .. "prompt_tokens", prompt) end
    local cached = r.usage.cached_tokens or (r.timings and r.timings.cache_n)
    if cached and prompt and prompt > 0 then
      s:metric(prefix .. "cached_pct", 100 * cached / prompt)
      if turn > 1 then s:check(cached > 0, "prefix cache hit from turn 2") end
    end
    if think_ms > 0 and turn < turns then benchy.sleep(think_ms) end
  end
end, {metrics = metric_names})
