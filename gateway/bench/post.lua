-- wrk: a non-streamed chat completion, the body a small real request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"m","messages":[{"role":"user","content":"Name a colour."}],"max_tokens":16}'
