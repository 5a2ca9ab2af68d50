-- Checkout: one consumer per thread (run with as many connections as threads), alternating "put a listing in
-- the cart" and "check out" with a new Idempotency-Key. Each checkout is a whole order: risk decision, stock,
-- encrypted recipient, audit events and a payment intent at the payment sandbox.
-- LOAD_TOKENS: one bearer token per line; LOAD_LISTING: the listing to buy.
local tokens = {}
for line in io.lines(os.getenv("LOAD_TOKENS")) do tokens[#tokens + 1] = line end
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("token", tokens[((counter - 1) % #tokens) + 1])
  thread:set("id", counter)
end

local recipient = '{"recipient":{"name":"林小雨","phone":"13912345678","address":{"province":"浙江省",'
  .. '"city":"杭州市","district":"西湖区","detail":"文三路 90 号"}}}'
local n = 0
request = function()
  n = n + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  if n % 2 == 1 then
    return wrk.format("POST", "/api/v1/cart/items", headers,
      '{"listingId":"' .. os.getenv("LOAD_LISTING") .. '","quantity":1}')
  end
  headers["Idempotency-Key"] = "load-" .. id .. "-" .. n .. "-" .. math.random(1, 1000000000)
  return wrk.format("POST", "/api/v1/checkouts", headers, recipient)
end

local created, refused = 0, 0
response = function(status, headers, body)
  if n % 2 == 0 then
    if status == 201 then created = created + 1 else refused = refused + 1 end
  end
end
