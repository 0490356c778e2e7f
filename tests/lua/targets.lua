-- benchy.target: requests to two servers besides --base-url, each named in
-- its records. Run: benchy run tests/lua/targets.lua -e url_a=URL -e url_b=URL
local benchy = require "benchy"

local a = benchy.target{name = "a", base_url = benchy.option{name = "url_a"}}
local b = benchy.target{name = "b", base_url = benchy.option{name = "url_b"}, model = "sim"}
assert(a.name == "a" and b.name == "b")
assert(b.model == "sim" and a.model == nil, "a's model is asked of the server at startup")
assert(tostring(a):find("benchy target a"))

local ok, err = pcall(benchy.target, {base_url = "http://x/v1", api_key = "sk-secret"})
assert(not ok and err:find("api_key_env"), err)
ok, err = pcall(benchy.target, {name = "a", base_url = "http://x/v1"})
assert(not ok and err:find("two targets are named 'a'"), err)

benchy.scenario("targets", function(s)
  local ra = s:chat{target = a, messages = {{role = "user", content = "to a"}}, max_tokens = 3}
  local rb = s:chat{target = b, messages = {{role = "user", content = "to b"}}, max_tokens = 4}
  assert(ra.ok and rb.ok, tostring(ra.error or rb.error))
  assert(ra.metrics.output_tokens == 3 and rb.metrics.output_tokens == 4)
  assert(a.model == "sim", "the model the server serves, after startup")
  local ok2, err2 = pcall(s.chat, s, {target = "a", messages = {{role = "user", content = "x"}}})
  assert(not ok2 and err2:find("benchy.target"), err2)
end)
