-- Unit tests of lib/protocols.lua (run by recipes/lualib_test.go).
local protocols = require("protocols")

local T = {}

function T.test_sse_events_split_across_chunks()
  local got = {}
  local feed = protocols.sse(function(data) table.insert(got, data) end)
  feed("data: {\"a\"")
  feed(":1}\n\nevent: x\r\ndata: one\ndata: two\n")
  assert(#got == 1 and got[1] == "{\"a\":1}", table.concat(got, "|"))
  feed("\n: a comment\n\n")
  assert(#got == 2 and got[2] == "one\ntwo", table.concat(got, "|"))
end

function T.test_a2a_request_and_text()
  local req = json.decode(protocols.a2a_request("hi there", true))
  assert(req.jsonrpc == "2.0" and req.method == "message/stream", json.encode(req))
  assert(req.params.message.role == "user" and req.params.message.parts[1].text == "hi there", json.encode(req))
  assert(json.decode(protocols.a2a_request("x", false)).method == "message/send")
  assert(protocols.a2a_text({ kind = "message", parts = { { kind = "text", text = "a" }, { kind = "text", text = "b" } } }) == "ab")
  assert(protocols.a2a_text({ kind = "artifact-update", artifact = { parts = { { kind = "text", text = "word " } } } }) == "word ")
  assert(protocols.a2a_text({ kind = "task", artifacts = { { parts = { { kind = "text", text = "done" } } } } }) == "done")
  assert(protocols.a2a_text({ kind = "status-update", status = { state = "working" } }) == "")
  assert(protocols.a2a_text({ kind = "message", parts = { { kind = "data", data = { n = 1 } } } }) == "{\"n\":1}")
end

function T.test_a2a_reader_stream_plain_and_error()
  local results = {}
  local feed, done = protocols.a2a_reader(function(r) table.insert(results, r) end)
  feed('data: {"jsonrpc":"2.0","id":1,"result":{"kind":"status-update","status":{"state":"working"}}}\n\n')
  feed('data: {"jsonrpc":"2.0","id":1,"result":{"kind":"artifact-update","artifact":{"parts":[{"kind":"text","text":"hi"}]}}}\n\n')
  done()
  assert(#results == 2 and results[2].kind == "artifact-update", json.encode(results))

  results = {}
  feed, done = protocols.a2a_reader(function(r) table.insert(results, r) end)
  feed('{"jsonrpc":"2.0","id":1,"result":')
  feed('{"kind":"message","parts":[{"kind":"text","text":"whole"}]}}')
  assert(#results == 0, "a plain answer is read once whole")
  done()
  assert(#results == 1 and protocols.a2a_text(results[1]) == "whole", json.encode(results))

  feed, done = protocols.a2a_reader(function() end)
  feed('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}')
  local ok, err = pcall(done)
  assert(not ok and tostring(err.message or err):find("error %-32601: Method not found"), tostring(err.message or err))
end

function T.test_agui_input_and_rendering()
  local input = json.decode(protocols.agui_input("hello"))
  assert(input.messages[1].role == "user" and input.messages[1].content == "hello", json.encode(input))
  assert(input.threadId ~= nil and input.runId ~= nil and #input.tools == 0, json.encode(input))
  local out = {}
  local on_event, text = protocols.agui_renderer(function(s) table.insert(out, s) end)
  for _, ev in ipairs({
    { type = "RUN_STARTED" },
    { type = "TEXT_MESSAGE_START", messageId = "m" },
    { type = "TEXT_MESSAGE_CONTENT", messageId = "m", delta = "You " },
    { type = "TEXT_MESSAGE_CONTENT", messageId = "m", delta = "said" },
    { type = "TOOL_CALL_START", toolCallId = "c", toolCallName = "search" },
    { type = "TOOL_CALL_ARGS", toolCallId = "c", delta = "{\"q\":" },
    { type = "TOOL_CALL_ARGS", toolCallId = "c", delta = "\"x\"}" },
    { type = "TOOL_CALL_END", toolCallId = "c" },
    { type = "STATE_SNAPSHOT", snapshot = { b = 1, a = 2 } },
    { type = "STATE_DELTA", delta = { { op = "add" }, { op = "remove" } } },
    { type = "RUN_ERROR", message = "boom", code = "E1" },
    { type = "RUN_FINISHED" },
  }) do on_event(ev) end
  local s = table.concat(out)
  assert(s == "You said\n→ tool search {\"q\":\"x\"}\nstate: snapshot of 2 keys (a, b)\nstate: 2 changes\nrun error: boom (E1)\n", s)
  assert(text() == "You said", text())
end

return T
