-- wrk: POSTs the JSON in the file named by BODY. With DELAY_MS, each connection waits that many milliseconds on average
-- before each request, to hold the rate below the peak (wrk's delay() takes whole milliseconds, so the floor and the
-- ceiling are mixed in the proportion that averages to DELAY_MS).
local file = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
wrk.headers["Content-Type"] = "application/json"
file:close()

local pace = tonumber(os.getenv("DELAY_MS") or "")
if pace then
  local low = math.floor(pace)
  local share = pace - low
  function delay()
    if math.random() < share then
      return low + 1
    end
    return low
  end
end
