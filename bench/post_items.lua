-- wrk script: POST /items with an id unique to the run, thread and request.
local counter = 0
local prefix = "bench"
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  prefix = args[1] or prefix
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. thread_id .. "-" .. counter
  local body = '{"id":"' .. id .. '","name":"bench item"}'
  return wrk.format("POST", "/items", {["Content-Type"] = "application/json"}, body)
end
