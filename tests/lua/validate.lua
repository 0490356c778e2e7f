-- benchy.validate(args, schema): types, required, enum, nested objects,
-- arrays, bounds; a string is JSON text (tool-call arguments as they
-- arrive); what failed is said, with its kind and JSON pointer.
-- Run: benchy run tests/lua/validate.lua --base-url <a benchy sim> (tests/python/test_lua_run.py)
local benchy = require "benchy"

local schema = {
  type = "object",
  properties = {
    query = {type = "string", minLength = 1},
    limit = {type = "integer", minimum = 1, maximum = 50},
    scope = {type = "string", enum = {"notes", "mail", "calendar"}},
    filter = {type = "object", properties = {
      after = {type = "string"},
      tags = {type = "array", items = {type = "string"}, maxItems = 3},
    }, required = {"after"}},
  },
  required = {"query"},
}

local function fails(value, want_kind, want_path, want_words)
  local ok, msg, kind, path = benchy.validate(value, schema)
  assert(ok == false, "expected a failure for " .. benchy.json_encode(value))
  assert(kind == want_kind, ("kind %s, wanted %s (%s)"):format(kind, want_kind, msg))
  assert(path == want_path, ("path %s, wanted %s"):format(path, want_path))
  assert(msg:find(want_words, 1, true), ("message '%s' lacks '%s'"):format(msg, want_words))
end

benchy.scenario("validate", function(s)
  -- valid: minimal, and with every property
  assert(benchy.validate({query = "keys"}, schema) == true)
  assert(benchy.validate({query = "keys", limit = 5, scope = "notes",
                          filter = {after = "2024-01-01", tags = {"home", "car"}}}, schema) == true)
  assert(select("#", benchy.validate({query = "x"}, schema)) == 1, "true alone when valid")

  fails({limit = 3}, "missing_required", "/query", "query")
  fails({query = 17}, "wrong_type", "/query", "string")
  fails({query = "x", limit = 2.5}, "wrong_type", "/limit", "integer")
  fails({query = "x", limit = 99}, "bad_value", "/limit", "50")
  fails({query = "x", scope = "web"}, "bad_value", "/scope", "not one of")
  fails({query = ""}, "bad_value", "/query", "")
  -- nested object: its own required and types
  fails({query = "x", filter = {tags = {"a"}}}, "missing_required", "/filter/after", "after")
  fails({query = "x", filter = {after = true}}, "wrong_type", "/filter/after", "string")
  -- arrays: element types, length
  fails({query = "x", filter = {after = "d", tags = {"a", 2}}}, "wrong_type", "/filter/tags/1", "string")
  fails({query = "x", filter = {after = "d", tags = {"a", "b", "c", "d"}}}, "bad_value",
        "/filter/tags", "3")

  -- JSON text: as tool calls arrive (arguments_raw)
  assert(benchy.validate('{"query": "keys", "limit": 3}', schema) == true)
  fails('{"query": 1}', "wrong_type", "/query", "string")
  local ok, msg, kind = benchy.validate('{"query": "keys"', schema)
  assert(not ok and kind == "unparsed" and msg:find("not JSON"), tostring(msg))
  -- the schema may be JSON text too (a tool definition read from a file)
  assert(benchy.validate({query = "x"}, benchy.json_encode(schema)) == true)
  fails({query = "x", scope = 3}, "wrong_type", "/scope", "string")
  -- top-level types and arrays of schemas
  assert(benchy.validate({1, 2, 3}, {type = "array", items = {type = "integer"}}) == true)
  assert(benchy.validate(3, {type = "string"}) == false)

  -- a schema that is not JSON, or a value that cannot be JSON: the script's error
  local bad_ok, err = pcall(benchy.validate, {query = "x"}, "{not json")
  assert(not bad_ok and err:find("schema text is not JSON"), err)
  bad_ok, err = pcall(benchy.validate, {f = print}, schema)
  assert(not bad_ok and err:find("cannot be JSON"), err)

  -- the tool call a server makes, checked against the tool it was offered
  local tools = {{type = "function", ["function"] = {name = "search_memory", parameters = schema}}}
  local r = s:chat{messages = {{role = "user", content = "find my keys"}}, tools = tools, max_tokens = 24}
  assert(r.ok, r.error)
  local call = r.tool_calls[1]
  local valid, why = benchy.validate(call.arguments_raw, tools[1]["function"].parameters)
  s:check(valid, "search_memory arguments match the schema")
  assert(valid, why)
end)
