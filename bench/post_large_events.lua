-- wrk script: POST /events with a payload just under the 1 MiB body limit (MAX_BODY_BYTES).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"bench","payload":{"blob":"' .. string.rep("x", 1000000) .. '"}}'
