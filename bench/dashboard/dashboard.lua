-- wrk script for the dashboard benchmark: GETs the paths of BENCH_PATHS (separated by
-- spaces) in turn, with the bearer token of BENCH_TOKEN. Thread t of n starts at path t, so
-- the threads spread over the hospitals and filters. done() prints one JSON line with the
-- latency percentiles (p95 among them) for dashboard.py.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for path in os.getenv("BENCH_PATHS"):gmatch("%S+") do table.insert(paths, path) end
  next_path = tid % #paths + 1
  statuses = {}
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do table.insert(parts, string.format('"%d": %d', code, count)) end
  local ms = function(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, ms(50), ms(90), ms(95), ms(99), latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
