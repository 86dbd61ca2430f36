-- Shared by the wrk scripts of bench/load: the data file written by run.py (tokens, member
-- ids, queries), per-thread status counts, and one "BENCHJSON {...}" line printed by done().
local lib = {}

lib.data = dofile(os.getenv("BENCH_DATA"))
lib.nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

local threads = {}
local counter = 0

-- wrk calls setup(thread) in the main Lua state, once per thread, before init().
function lib.setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

function lib.init()
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
   for _ = 1, 10 do math.random() end
   statuses = {}
   seq = 0
end

function lib.response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function lib.pick(list)
   return list[math.random(#list)]
end

-- A caller: {slug=, id=, token=, connect={ids}, endorse={{id, skill}}}.
function lib.caller()
   return lib.pick(lib.data.tokens)
end

function lib.auth(caller, extra)
   local headers = {["Authorization"] = "Bearer " .. caller.token}
   if extra then for k, v in pairs(extra) do headers[k] = v end end
   return headers
end

function lib.api(caller, path)
   return "/i/" .. caller.slug .. "/api/v1" .. path
end

function lib.get(caller, path)
   return wrk.format("GET", lib.api(caller, path), lib.auth(caller))
end

function lib.profile()
   local c = lib.caller()
   return lib.get(c, "/members/" .. lib.pick(lib.data.ids[c.slug]))
end

function lib.paths()
   local c = lib.caller()
   return lib.get(c, "/members/" .. lib.pick(lib.data.ids[c.slug]) .. "/paths")
end

function lib.search()
   local c = lib.caller()
   return lib.get(c, "/search?q=" .. lib.pick(lib.data.queries))
end

function lib.me()
   return lib.get(lib.caller(), "/me")
end

-- The mixed API read run: search, paths, profile, /me.
function lib.mixed_read()
   local r = math.random(100)
   if r <= 35 then return lib.search()
   elseif r <= 55 then return lib.paths()
   elseif r <= 85 then return lib.profile()
   else return lib.me() end
end

local function key()
   seq = seq + 1
   return string.format("bench-%s-%d-%d", lib.nonce, tid or 0, seq)
end

local function json_string(s)
   return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

-- Writes that are safe to repeat: a profile headline (PATCH /me), a connection request to
-- a member with no connection yet (a repeat returns the same pending request), an
-- endorsement of a connection's listed skill (a repeat changes nothing). The POSTs carry a
-- unique Idempotency-Key.
function lib.write()
   local c = lib.caller()
   local r = math.random(100)
   if r <= 50 or (#c.connect == 0 and #c.endorse == 0) then
      local body = '{"headline": ' .. json_string(lib.pick(lib.data.headlines)) .. '}'
      return wrk.format("PATCH", lib.api(c, "/me"),
                        lib.auth(c, {["Content-Type"] = "application/json"}), body)
   elseif (r <= 75 and #c.connect > 0) or #c.endorse == 0 then
      local body = '{"member_id": ' .. lib.pick(c.connect) .. '}'
      return wrk.format("POST", lib.api(c, "/connections"),
                        lib.auth(c, {["Content-Type"] = "application/json",
                                     ["Idempotency-Key"] = key()}), body)
   else
      local e = lib.pick(c.endorse)
      local body = '{"skill": ' .. json_string(e[2]) .. '}'
      return wrk.format("POST", lib.api(c, "/members/" .. e[1] .. "/endorsements"),
                        lib.auth(c, {["Content-Type"] = "application/json",
                                     ["Idempotency-Key"] = key()}), body)
   end
end

local letters = "abcdefghijklmnopqrstuvwxyz"

function lib.hostile()
   local c = lib.caller()
   local t = {}
   for i = 1, 490 do
      local k = math.random(26)
      t[i] = letters:sub(k, k)
   end
   return lib.get(c, "/search?q=lille%20" .. table.concat(t))
end

function lib.done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      local s = thread:get("statuses")
      if s then
         for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
      end
   end
   local parts = {}
   for k, v in pairs(total) do table.insert(parts, string.format('"%s": %d', k, v)) end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"connect": %d, "read": %d, "write": %d, "status_errors": %d, "timeout": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
      '"statuses": {%s}}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, table.concat(parts, ", ")))
end

-- Install the callbacks every script shares; a script then only defines request().
function lib.install()
   setup = lib.setup
   init = lib.init
   response = lib.response
   done = lib.done
end

return lib
