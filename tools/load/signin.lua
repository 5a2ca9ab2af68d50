-- Sign-in with the right password, cycling over the accounts in LOAD_LOGINS (login<TAB>password per line).
-- Each one hashes a password (bcrypt), which is what bounds this path.
local logins = {}
for line in io.lines(os.getenv("LOAD_LOGINS")) do
  local login, password = line:match("^(.-)\t(.*)$")
  logins[#logins + 1] = '{"login":"' .. login .. '","password":"' .. password .. '"}'
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/sessions", {["Content-Type"] = "application/json"}, logins[(n % #logins) + 1])
end
