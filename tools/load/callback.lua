-- Payment callbacks as the institution sends them: signed (HMAC-SHA256 over timestamp and body), each event
-- delivered several times. The first delivery of an event captures the payment into escrow (ledger postings,
-- orders paid); the later ones are recognised by event id and change nothing.
-- LOAD_CALLBACKS: timestamp<TAB>signature<TAB>body per line, signed beforehand by tools/load/run.py.
local callbacks = {}
for line in io.lines(os.getenv("LOAD_CALLBACKS")) do
  local timestamp, signature, body = line:match("^(.-)\t(.-)\t(.*)$")
  callbacks[#callbacks + 1] = {timestamp, signature, body}
end
local n = 0
request = function()
  n = n + 1
  local c = callbacks[(n % #callbacks) + 1]
  return wrk.format("POST", "/api/v1/payments/callback",
    {["Content-Type"] = "application/json", ["X-Sandbox-Timestamp"] = c[1], ["X-Sandbox-Signature"] = c[2]}, c[3])
end
