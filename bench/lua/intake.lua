-- wrk script: single-lead intake POSTs with a new mobile number each time.
local prefixes = {"138", "139", "186", "158", "135", "137", "188", "150"}
local counter = 0

function setup(thread)
  thread:set("seed", math.random(1, 1000000000))
end

function init(args)
  math.randomseed(seed + os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("INTAKE_TOKEN")
end

function request()
  counter = counter + 1
  local phone = prefixes[math.random(#prefixes)] .. string.format("%08d", math.random(0, 99999999))
  local body = string.format('{"name":"压测%d","company":"压测公司%d","phone":"%s","city":"上海"}', counter, math.random(0, 999999999), phone)
  return wrk.format(nil, nil, nil, body)
end
