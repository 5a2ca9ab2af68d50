-- Listing browse: the first catalog page, as a visitor (no session).
wrk.method = "GET"
wrk.path = "/api/v1/products?limit=20"
