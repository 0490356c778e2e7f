-- session:complete{prompt=...}: the completions API, same response table.
local benchy = require "benchy"

benchy.scenario("complete", function(s)
  local r = s:complete{prompt = "Once upon a time", max_tokens = 8}
  assert(r.ok, r.error)
  assert(#r.text > 0)
  assert(r.metrics.output_tokens == 8)
  assert(r.metrics.ttft_ms > 0)
  local ok, err = pcall(s.complete, s, {max_tokens = 3})
  assert(not ok and err:find("prompt"), err)
end)
