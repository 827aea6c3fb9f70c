-- wrk script of bench/writes: each thread claims the leads of a list in turn (thread t of n takes
-- lines t, t + n, t + 2n, ...), so no two requests ask for the same lead and every claim can win;
-- each request as a random salesperson. Arguments: leads file, tokens file, wrk's thread count
-- (wrk runs a thread's init before the next thread's setup, so setup cannot count them).
local tokens, leads = {}, {}
local counter = 0
local id, count, next_index = 1, 1, 1

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  id = tonumber(wrk.thread:get("id"))
  count = tonumber(args[3])
  leads = lines(args[1])
  tokens = lines(args[2])
  next_index = id
  math.randomseed(os.time() + id * 7919)
end

function request()
  local lead = leads[next_index]
  next_index = next_index + count
  if lead == nil then
    -- The list ran out: ask for the first again (a 409, counted as a refusal, not a claim).
    lead = leads[1]
  end
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }
  return wrk.format("POST", "/api/v1/leads/" .. lead .. "/claim", headers, "{}")
end
