-- wrk script: POST /events with a small JSON event.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"bench","payload":{"user":"ann","n":1}}'
