-- wrk script for bench/scan.py: every request carries its own User-Agent, so every scan is a new
-- device and the 30-minute de-duplication cannot turn the load into look-ups.
-- Usage: wrk -t1 -c32 -d10s -s bench/scan.lua URL -- <run-prefix>

local prefix = "run"
local counter = 0

function init(args)
  if args[1] then prefix = args[1] end
end

function request()
  counter = counter + 1
  return wrk.format("GET", nil, {
    ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) bench/" .. prefix .. "/" .. counter,
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
