-- One wrk script for every scenario of bench/load/run.py: BENCH_SCENARIO names it.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local lib = require("lib")
lib.install()

local scenario = os.getenv("BENCH_SCENARIO")
local build

if scenario == "bare" then
   build = function() return wrk.format("GET", "/") end
elseif scenario == "home" then
   build = function() return wrk.format("GET", lib.pick(lib.data.homes)) end
elseif scenario == "profile" then
   build = lib.profile
elseif scenario == "search" then
   build = lib.search
elseif scenario == "paths" then
   build = lib.paths
elseif scenario == "mixed" then
   build = lib.mixed_read
elseif scenario == "writes" then
   -- 80 % of the mixed reads, 20 % writes.
   build = function()
      if math.random(100) <= 20 then return lib.write() end
      return lib.mixed_read()
   end
elseif scenario == "hostile" then
   build = lib.hostile
elseif scenario == "me" then
   build = lib.me
else
   error("unknown BENCH_SCENARIO " .. tostring(scenario))
end

request = function() return build() end
