-- wrk script for bench/scan.py: every request carries its own User-Agent, so every scan is a new
-- device and the 30-minute de-duplication cannot turn the load into look-ups; and its own client
-- IP (X-Forwarded-For, which uvicorn honours from 127.0.0.1), as many phones on many networks,
-- so the limit of new devices per IP and poster is checked without refusing any.
-- Usage: wrk -t1 -c32 -d10s -s bench/scan.lua URL -- <run-prefix>

local prefix = "run"
local counter = 0

function init(args)
  if args[1] then prefix = args[1] end
end

function request()
  counter = counter + 1
  local ip = "10." .. (math.floor(counter / 65536) % 256) .. "." ..
    (math.floor(counter / 256) % 256) .. "." .. (counter % 256)
  return wrk.format("GET", nil, {
    ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) bench/" .. prefix .. "/" .. counter,
    ["X-Forwarded-For"] = ip,
  })
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"duration_us\": %d, \"status_errors\": %d, \"connect_errors\": %d, " ..
    "\"read_errors\": %d, \"write_errors\": %d, \"timeouts\": %d, \"p50_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
