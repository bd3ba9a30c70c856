-- wrk script: a patient's phone reading its own data (GET /me/reports and GET /me), tokens round-robin.
local tokens = {}
local counter = 0
local paths = {"/api/v1/me/reports?page_size=10", "/api/v1/me/reports?page_size=10", "/api/v1/me"}

function init(args)
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line:match("^(%S+)") end
  counter = math.random(1, #tokens)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1],
                    {["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]})
end

function done(summary, latency, requests)
  local codes = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d p95_us=%d\n",
    summary.requests, summary.duration, codes.status, codes.connect + codes.read + codes.write + codes.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(95)))
end
