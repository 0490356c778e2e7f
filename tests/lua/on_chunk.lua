-- on_chunk: a per-chunk callback in s:chat{...}, for figures the engine
-- does not compute itself, e.g. the time to the first complete sentence
-- (when a voice assistant can start speaking).
local benchy = require "benchy"

benchy.scenario("on_chunk", function(s)
  local parts, first_text_ms, last_ms, sentence_ms = {}, nil, -1, nil
  local seen = ""
  local r = s:chat{messages = {{role = "user", content = "Tell me a story"}}, max_tokens = 40,
    on_chunk = function(text, c)
      assert(c.t_ms >= last_ms, "chunks in order")
      last_ms = c.t_ms
      if c.content and #text > 0 then
        first_text_ms = first_text_ms or c.t_ms
        parts[#parts + 1] = text
        seen = seen .. text
        if not sentence_ms and seen:find("[%.!?]") then sentence_ms = c.t_ms end
      end
      s:metric("chunk_bytes", #text)      -- s:metric works inside the callback
      assert(not pcall(benchy.sleep, 1))  -- waiting does not
    end}
  assert(r.ok, r.error)
  assert(table.concat(parts) == r.text, "chunks add up to the text")
  -- the first content chunk is the engine's first token
  assert(math.abs(first_text_ms - r.metrics.ttft_ms) < 0.01, first_text_ms .. " vs " .. r.metrics.ttft_ms)
  if sentence_ms then s:metric("first_sentence_ms", sentence_ms) end

  -- an error in the callback cancels the request and is raised by chat
  local ok, err = pcall(s.chat, s, {messages = {{role = "user", content = "x"}}, max_tokens = 20,
    on_chunk = function() error("stop here") end})
  assert(not ok and err:find("stop here"), tostring(err))
  -- and the user goes on
  local r2 = s:chat{messages = {{role = "user", content = "y"}}, max_tokens = 2}
  assert(r2.ok)
end)
