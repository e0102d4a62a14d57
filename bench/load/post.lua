-- wrk script for the write benchmark: every request POSTs a complete stroke registration.
-- Bodies come from BENCH_TEMPLATES (one JSON document a line with the national id replaced
-- by __NID__) and BENCH_IDS (lines "<template index> <synthetic national id>", each id used
-- once). Thread t of n takes the lines t, t+n, t+2n, ... so no two requests share a person.
-- The token is in BENCH_TOKEN. done() prints one JSON line for bench/run.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do table.insert(lines, line) end
  return lines
end

function init(args)
  templates = read_lines(os.getenv("BENCH_TEMPLATES"))
  ids = {}
  local all = read_lines(os.getenv("BENCH_IDS"))
  local n = tonumber(os.getenv("BENCH_THREADS"))
  for i = tid + 1, #all, n do table.insert(ids, all[i]) end
  next_id = 1
  token = os.getenv("BENCH_TOKEN")
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  local line = ids[next_id]
  next_id = next_id + 1
  if next_id > #ids then next_id = 1 end
  local t, nid = line:match("^(%d+) (%d+)$")
  local body = templates[tonumber(t) + 1]:gsub("__NID__", nid)
  return wrk.format("POST", wrk.path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, count in pairs(s) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do table.insert(parts, string.format('"%d": %d', code, count)) end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
