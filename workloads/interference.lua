-- interference.lua — do two servers slow each other down?
--
-- What it measures: two servers (two base URLs, e.g. one model per GPU of one
-- machine) first alone, then at the same time. Half the users (odd-numbered)
-- talk to server a, half (even) to server b, in three phases:
--   1. a alone   (b's users wait),   2. b alone   (a's users wait),
--   3. both at once;
-- each user sends `requests` requests per phase. Per server and phase the
-- scenario keeps TTFT and tok/s (output tokens per second of each request)
-- as metrics (a_solo_ttft_ms, a_shared_tok_s, ...), and at the end
--   a_tok_s_pct_of_solo, b_tok_s_pct_of_solo  mean tok/s together as % of alone
--   a_ttft_pct_of_solo,  b_ttft_pct_of_solo   mean TTFT together as % of alone
-- with the checks "a keeps > 95% of solo" / "b keeps > 95% of solo": tok/s
-- above 95% of solo, and TTFT at most solo / 0.95. A summary line goes to
-- stderr; the figures are in the result's metrics and checks.
--
-- Run (each user runs the three phases once: leave out --iterations and
-- --duration):
--   benchy run workloads/interference.lua --users 8 \
--     -e base_url_a=http://127.0.0.1:8080/v1 -e base_url_b=http://127.0.0.1:8081/v1
-- Options: base_url_a, base_url_b (required), model_a, model_b (default: what
-- each serves), api_key_env_a, api_key_env_b, requests, max_tokens.
local benchy = require "benchy"

local url_a = benchy.option{name = "base_url_a", help = "base URL of server a (required)"}
local url_b = benchy.option{name = "base_url_b", help = "base URL of server b (required)"}
local model_a = benchy.option{name = "model_a", help = "model on server a (default: the first it serves)"}
local model_b = benchy.option{name = "model_b", help = "model on server b (default: the first it serves)"}
local key_a = benchy.option{name = "api_key_env_a", help = "environment variable holding a's key"}
local key_b = benchy.option{name = "api_key_env_b", help = "environment variable holding b's key"}
local requests = tonumber(benchy.option{name = "requests", default = 5,
                                        help = "requests per user in each phase"})
local max_tokens = tonumber(benchy.option{name = "max_tokens", default = 128, help = "max_tokens per request"})
assert(requests and requests >= 1, "-e requests=N: a whole number >= 1")
assert(max_tokens and max_tokens >= 1, "-e max_tokens=N: a whole number >= 1")
-- after every declaration, so that --help lists them all
for _, name in ipairs{"base_url_a", "base_url_b"} do
  if not benchy.options[name] then
    error(("-e %s=URL is required: interference.lua measures two servers"):format(name), 0)
  end
end

local servers = {
  a = benchy.target{name = "a", base_url = url_a, model = model_a, api_key_env = key_a},
  b = benchy.target{name = "b", base_url = url_b, model = model_b, api_key_env = key_b},
}
local users = benchy.plan.users
local phases_done = {0, 0, 0}   -- users past each phase: every user shares this state
local sums = {}                 -- sums[server .. "_" .. phase] = {n, ttft, tok_s}

local function measure(s, name, phase)
  for i = 1, requests do
    local r = s:chat{target = servers[name], max_tokens = max_tokens,
                     -- phase first: no prompt of one phase is a cached prefix of another's
                     messages = {{role = "user", content = ("%s %d %d: write about topic %d of user %d.")
                                    :format(phase, s.user, i, i, s.user)}}}
    if s:check(r.ok, "answered") and r.metrics.ttft_ms and r.metrics.tok_s then
      local key = name .. "_" .. phase
      s:metric(key .. "_ttft_ms", r.metrics.ttft_ms)
      s:metric(key .. "_tok_s", r.metrics.tok_s)
      local t = sums[key] or {n = 0, ttft = 0, tok_s = 0}
      t.n, t.ttft, t.tok_s = t.n + 1, t.ttft + r.metrics.ttft_ms, t.tok_s + r.metrics.tok_s
      sums[key] = t
    end
  end
end

local function finish_phase(p)
  phases_done[p] = phases_done[p] + 1
  while phases_done[p] < users do benchy.sleep(5) end
end

local function report(s)
  local line = {}
  for _, name in ipairs{"a", "b"} do
    local solo, shared = sums[name .. "_solo"], sums[name .. "_shared"]
    if s:check(solo and shared, name .. " measured alone and together") then
      local tok_pct = 100 * (shared.tok_s / shared.n) / (solo.tok_s / solo.n)
      local ttft_pct = 100 * (shared.ttft / shared.n) / (solo.ttft / solo.n)
      s:metric(name .. "_tok_s_pct_of_solo", tok_pct)
      s:metric(name .. "_ttft_pct_of_solo", ttft_pct)
      s:check(tok_pct > 95 and ttft_pct <= 100 / 0.95, name .. " keeps > 95% of solo")
      line[#line + 1] = ("%s: tok/s %.1f%% of solo, TTFT %.1f%% of solo"):format(name, tok_pct, ttft_pct)
    end
  end
  io.stderr:write("interference: ", table.concat(line, "; "), "\n")
end

local metric_names = {}
for _, n in ipairs{"a", "b"} do
  for _, m in ipairs{"_solo_ttft_ms", "_solo_tok_s", "_shared_ttft_ms", "_shared_tok_s",
                     "_tok_s_pct_of_solo", "_ttft_pct_of_solo"} do
    metric_names[#metric_names + 1] = n .. m
  end
end

benchy.scenario("interference", function(s)
  if users < 2 then error("interference.lua needs --users 2 or more: half talk to each server", 0) end
  if s.iteration > 1 then
    error("interference.lua runs its three phases once per user: leave out --iterations and --duration", 0)
  end
  local mine = s.user % 2 == 1 and "a" or "b"
  if mine == "a" then measure(s, "a", "solo") end
  finish_phase(1)
  if mine == "b" then measure(s, "b", "solo") end
  finish_phase(2)
  measure(s, mine, "shared")
  phases_done[3] = phases_done[3] + 1
  if phases_done[3] == users then report(s) end
end, {metrics = metric_names})
