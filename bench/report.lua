-- wrk script: POST fresh ~1 KB symptom reports as many patients (one bearer token each).
-- Tokens are read from the file named in the TOKENS environment variable, one per line.
local tokens = {}
local counter = 0
local pause_ms = tonumber(os.getenv("PAUSE_MS") or "0")

-- With TIED set, each report names its patient's infusion (the token file's second column): a follow-up report.
local infusions = {}
local tied = os.getenv("TIED") ~= nil

local function load_tokens()
  local path = os.getenv("TOKENS")
  if path then
    for line in io.lines(path) do
      local token, infusion = line:match("^(%S+)%s*(%S*)$")
      tokens[#tokens + 1] = token
      infusions[#infusions + 1] = infusion
    end
  end
end

local function uuid4()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (t:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

local symptoms = {"nausea", "dizziness", "headache", "drowsiness", "dissociation", "euphoria", "blurred_vision"}

-- Seeds differ per run (NONCE from the driver) and per thread, so client_report_ids never repeat.
local nonce = tonumber(os.getenv("NONCE") or "0") + os.time()
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("seed", nonce * 97 + thread_number)
end

function init(args)
  math.randomseed(seed or os.time())
  load_tokens()
  counter = math.random(1, math.max(#tokens, 1))
end

function delay()
  return pause_ms
end

function request()
  counter = counter + 1
  local slot = (counter % #tokens) + 1
  local token = tokens[slot]
  local link = ""
  if tied then link = string.format('"infusion_id":"%s",', infusions[slot]) end
  local observed = os.date("!%Y-%m-%dT%H:%M:%S+00:00", os.time() - 600)
  local items = {}
  for i = 1, 3 do
    items[#items + 1] = string.format('{"code":"%s","severity":%d,"note":"%s"}',
      symptoms[((counter + i) % #symptoms) + 1], (counter + i) % 3, string.rep("s", 120))
  end
  local body = string.format(
    '{%s"client_report_id":"%s","observed_at":"%s","symptoms":[%s],"mood":%d,' ..
    '"vitals":{"systolic":%d,"diastolic":%d,"heart_rate":%d},"note":"%s"}',
    link, uuid4(), observed, table.concat(items, ","), counter % 11, 118 + counter % 20, 76 + counter % 10,
    70 + counter % 25, string.rep("n", 400))
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  local codes = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d errors=%d p50_us=%d p99_us=%d p95_us=%d\n",
    summary.requests, summary.duration, codes.status, codes.connect + codes.read + codes.write + codes.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(95)))
end
