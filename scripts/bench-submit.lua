-- scripts/bench-submit.lua - wrk script for scripts/bench: posts the
-- anonymous report form of one tenant, over and over.
--
--   wrk -s scripts/bench-submit.lua URL/t/SLUG/report -- TOKEN COOKIE
--
-- TOKEN is the form's hidden csrf field and COOKIE the value of the
-- __Host-ombud-csrf cookie of the same GET: the double-submit pair
-- stays valid, so every request reuses it.  At the end it prints one
-- line for scripts/bench:
--
--   submit: seconds S receipts N limited N other N first-other STATUS errors N
--
-- receipts counts 200 answers that carry the receipt (id="receipt"),
-- limited the 429s of the Argon2id concurrency cap, other every other
-- answer, errors the requests that got none (connect, read, write,
-- timeout); only receipts are submissions.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	if #args ~= 2 then
		error("usage: wrk -s bench-submit.lua URL -- TOKEN COOKIE")
	end
	receipts, limited, other, first_other = 0, 0, 0, 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
	wrk.headers["Cookie"] = "__Host-ombud-csrf=" .. args[2]
	-- A first report of a few hundred bytes; the token is URL-safe
	-- base64 and needs no escaping.
	wrk.body = "category=fraud"
		.. "&description=" .. string.rep("The+invoices+of+March+were+paid+twice+to+the+same+supplier.+", 6)
		.. "&when=March&where=Accounts+payable"
		.. "&csrf=" .. args[1]
end

function response(status, headers, body)
	if status == 200 and body:find('id="receipt"', 1, true) then
		receipts = receipts + 1
	elseif status == 429 then
		limited = limited + 1
	else
		other = other + 1
		if first_other == 0 then
			first_other = status
		end
	end
end

function done(summary, latency, requests)
	local r, l, o, f = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		r = r + t:get("receipts")
		l = l + t:get("limited")
		o = o + t:get("other")
		if f == 0 then
			f = t:get("first_other")
		end
	end
	local e = summary.errors
	io.write(string.format("submit: seconds %.3f receipts %d limited %d other %d first-other %d errors %d\n",
		summary.duration / 1e6, r, l, o, f, e.connect + e.read + e.write + e.timeout))
end
