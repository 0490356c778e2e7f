-- smoke.lua — is this server answering correctly, streaming, and reporting
-- what benchy measures with? One question with a known answer:
-- "What is 17 * 43?" must be answered with 731. Checks: the request
-- succeeds, the answer contains 731, the answer streamed (more than one
-- token-carrying chunk), the server reported usage, and (llama-server only:
-- vLLM and SGLang send none) llama.cpp's timings.
--
-- Run against a real server, e.g. as a CI gate before a benchmark:
--   benchy run workloads/smoke.lua --base-url http://127.0.0.1:8080/v1
-- It exits 1 when a check fails (the thresholds below).
--
-- Against `benchy sim` the "answer contains 731" check FAILS, as expected:
-- the simulator streams random words, not answers. The other checks pass
-- there; the workload exists for real servers.
local benchy = require "benchy"

benchy.scenario("smoke", function(s)
  local r = s:chat{messages = {{role = "user", content = "What is 17 * 43? Answer with the number only."}},
                   max_tokens = 64, temperature = 0}
  s:check(r.ok, "server answered")
  if not r.ok then return end
  local answered = (r.text or ""):find("731", 1, true) ~= nil
  s:check(answered, "answer contains 731")
  if not answered and s.iteration == 1 then
    io.stderr:write(("smoke.lua: expected 731, the server said: %q\n"):format((r.text or ""):sub(1, 120)))
  end
  s:check(#r.metrics.itl_ms >= 1, "answer streamed in more than one chunk")
  s:check(r.usage.completion_tokens ~= nil, "server reports usage")
  s:check(r.timings ~= nil, "server reports timings (llama-server only)")
  if r.timings and r.timings.predicted_per_second then
    s:metric("server_decode_tok_s", r.timings.predicted_per_second)
  end
end, {metrics = {"server_decode_tok_s"}})

thresholds = {
  ["smoke.failed"] = "== 0",
  ["smoke.checks_failed"] = "== 0",
}
