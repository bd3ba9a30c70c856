-- wrk script: GET one path with a bearer token (PATH_Q and TOKEN from the environment).
local path = os.getenv("PATH_Q") or "/"
local token = os.getenv("TOKEN")
local pause_ms = tonumber(os.getenv("PAUSE_MS") or "0")

function delay()
  return pause_ms
end

function request()
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local codes = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d p95_us=%d\n",
    summary.requests, summary.duration, codes.status, codes.connect + codes.read + codes.write + codes.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(95)))
end
