-- wrk script of bench/claims: POSTs a follow-up (a call, with the next one at the given time) on a
-- random owned lead, as its owner. Arguments: output directory (claims-tokens.txt: one access
-- token per salesperson, in bench_users order; claims-owned-leads.txt: "lead-id user-number"
-- lines), next_follow_up_at.
local tokens, owned = {}, {}
local body

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

function init(args)
  tokens = lines(args[1] .. "/claims-tokens.txt")
  for _, line in ipairs(lines(args[1] .. "/claims-owned-leads.txt")) do
    local lead, user = line:match("^(%S+) (%d+)$")
    owned[#owned + 1] = {lead, tonumber(user)}
  end
  body = string.format('{"type":"call","content":"电话沟通，客户有兴趣，约了下周演示","next_follow_up_at":"%s"}', args[2])
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local pick = owned[math.random(#owned)]
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[pick[2]],
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/api/v1/leads/" .. pick[1] .. "/follow-ups", headers, body)
end
