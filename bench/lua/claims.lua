-- wrk script of bench/claims: POSTs claims of random hot leads, or next-lead, as a random
-- salesperson. Arguments: kind (claim | next), pool id, output directory.
local tokens, leads = {}, {}
local kind, pool

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

function init(args)
  kind, pool = args[1], args[2]
  tokens = lines(args[3] .. "/claims-tokens.txt")
  if kind == "claim" then leads = lines(args[3] .. "/claims-hot-leads.txt") end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }
  local path
  if kind == "claim" then
    path = "/api/v1/leads/" .. leads[math.random(#leads)] .. "/claim"
  else
    path = "/api/v1/pools/" .. pool .. "/next-lead"
  end
  return wrk.format("POST", path, headers, "{}")
end
