-- Time to first sentence: r.metrics.ttfs_ms (measured in C) is the value a
-- script gets from on_chunk by the documented rule (docs/metrics.md), to
-- the bit; reasoning text does not count. The scenario's ttfs distribution
-- is in the table and usable in thresholds.
-- Run: benchy run tests/lua/ttfs.lua --base-url <a benchy sim --sentence-every N>
-- (tests/python/test_lua_turns.py; a sim without sentences has no ttfs)
local benchy = require "benchy"

local function first_sentence_by_chunks()
  local pending, found
  local function on_chunk(text, chunk)
    if found or not chunk.content or #text == 0 then return end
    if pending then
      if text:find("^%s") then found = pending return end
      pending = nil
    end
    for i = 1, #text do
      local ch = text:sub(i, i)
      if ch == "." or ch == "!" or ch == "?" then
        if i == #text then
          pending = chunk.t_ms
        elseif text:sub(i + 1, i + 1):find("%s") then
          found = chunk.t_ms
          return
        end
      end
    end
  end
  local function result(ok) if not found and pending and ok then found = pending end return found end
  return on_chunk, result
end

benchy.scenario("ttfs", function(s)
  local on_chunk, result = first_sentence_by_chunks()
  local r = s:chat{messages = {{role = "user", content = "Tell me a story"}}, max_tokens = 30,
                   on_chunk = on_chunk}
  assert(r.ok, r.error)
  local mine = result(r.ok)
  assert(mine, "the script found no sentence end in: " .. r.text)
  assert(r.metrics.ttfs_ms, "the record has no ttfs_ms")
  assert(r.metrics.ttfs_ms == mine, ("C says %.6f ms, on_chunk %.6f ms"):format(r.metrics.ttfs_ms, mine))
  assert(r.metrics.ttfs_ms >= r.metrics.ttft_ms and r.metrics.ttfs_ms <= r.metrics.e2e_ms)
  s:metric("ttfs_by_chunks", mine)
  s:metric("ttfs_minus_ttft", r.metrics.ttfs_ms - r.metrics.ttft_ms)
end, {metrics = {"ttfs_by_chunks", "ttfs_minus_ttft"}})

thresholds = {
  ["ttfs.ttfs.p99"] = "> 0",
}
