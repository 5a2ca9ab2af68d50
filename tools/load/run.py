#!/usr/bin/env python3
"""HTTP load with wrk (issue 11) on the paths people hit: listing browse, sign-in, checkout, payment callback.
Starts the payment sandbox and `covenant serve --demo` on a temporary data directory, prepares accounts and
signed callbacks, runs wrk against each path and prints requests per second and latency percentiles.
Standard library only; wrk from Debian (`apt-get install wrk`).

Usage: run.py PATH/TO/covenant [--seconds 10] [--only browse,signin,checkout,callback] [--database URL]

Loopback is allow-listed (COVENANT_SHIELD_ALLOW): one address sending thousands of requests a second would be
throttled, which is the shield working, not what is measured here. The risk engine runs an empty rule set, so
its features and scoring are paid for on every checkout but no velocity rule stops one account ordering
hundreds of times a minute. Each figure comes with the machine: wrk shares the server's cores.
"""
import argparse, base64, hashlib, hmac, json, os, re, shutil, signal, socket, sqlite3, struct, subprocess, sys, tempfile
import time, urllib.error, urllib.request, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "load-Passw0rd-2026"
RECIPIENT = {"name": "林小雨", "phone": "13912345678",
             "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 90 号"}}
NO_RULES = {"version": "load-no-rules", "thresholds": {"review": 1000, "challenge": 2000, "block": 3000}, "rules": []}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Platform:
    """The sandbox and the server, stopped together."""

    def __init__(self, binary, work, database):
        self.binary, self.work = binary, work
        self.data = os.path.join(work, "data")
        self.secret = base64.b64encode(os.urandom(32)).decode()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        rules = os.path.join(work, "no-rules.json")
        with open(rules, "w") as file:
            json.dump(NO_RULES, file)
        self.env = dict(os.environ, COVENANT_PAYMENT_API_KEY="load-key", COVENANT_PAYMENT_SECRET=self.secret,
                        COVENANT_SHIELD_ALLOW="127.0.0.1", COVENANT_RISK_RULES=rules, COVENANT_PORT=str(self.port),
                        COVENANT_PUBLIC_URL=self.base, COVENANT_BACKUP_INTERVAL_HOURS="0", LOG_LEVEL="warning")
        if database:
            self.env["COVENANT_DATABASE_URL"] = database
        self.processes = []

    def start(self):
        # Its output goes to a file: a pipe nobody reads would fill up and stall the sandbox.
        sandbox_log = os.path.join(self.work, "sandbox.log")
        sandbox = subprocess.Popen(
            [self.binary, "payment-sandbox", "--port", "0", "--duplicate-rate", "0"], env=self.env,
            stdout=open(sandbox_log, "w"), stderr=subprocess.STDOUT)
        self.processes.append(sandbox)
        for _ in range(300):
            with open(sandbox_log) as file:
                found = re.search(r"listening on (http\S+)", file.read())
            if found:
                self.env["COVENANT_PAYMENT_URL"] = found.group(1)
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the payment sandbox did not start (see sandbox.log)")
        log = open(os.path.join(self.work, "server.log"), "w")
        server = subprocess.Popen([self.binary, "serve", "--demo", "--data-dir", self.data], env=self.env,
                                  stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(server)
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.base + "/health/ready", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the server did not become ready (see server.log)")

    def stop(self):
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def consumers(platform, count):
    """Registers `count` consumers and signs each in: (login, token) pairs."""
    accounts = []
    for n in range(count):
        login = f"1390077{n:04d}"
        status, reply = call(platform.base, "POST", "/api/v1/accounts",
                             {"kind": "consumer", "login": login, "password": PASSWORD, "displayName": f"压测{n}"})
        if status not in (200, 201):
            raise SystemExit(f"registration failed: {status} {reply}")
        status, session = call(platform.base, "POST", "/api/v1/sessions", {"login": login, "password": PASSWORD})
        accounts.append((login, session["token"]))
    return accounts


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def listing(platform):
    """A listing with stock for every checkout of the run, listed by the first demo merchant (two-factor)."""
    with open(os.path.join(platform.data, "demo-logins.json")) as file:
        owner = next(login for login in json.load(file) if login["role"] == "merchant owner")
    status, session = call(platform.base, "POST", "/api/v1/sessions", {
        "login": owner["login"], "password": owner["password"], "otp": totp(owner["totpSecret"], time.time())})
    if status != 201:
        raise SystemExit(f"merchant sign-in failed: {status} {session}")
    status, product = call(platform.base, "POST", "/api/v1/merchant/products", {
        "title": "压测绿茶 100g", "description": "压测用商品，真空包装。", "imageRefs": ["load/tea.jpg"],
        "priceFen": 990, "stock": 1_000_000, "category": "tea"}, session["token"])
    if status != 201 or product.get("status") != "published":
        raise SystemExit(f"listing failed: {status} {product}")
    return product


def signed_callbacks(platform, accounts, product, count, path):
    """`count` real checkouts with their payment intents, and a signed `payment.succeeded` for each; every event
    is written three times (the institution delivers more than once)."""
    intents = []
    for n in range(count):
        login, token = accounts[n % len(accounts)]
        call(platform.base, "POST", "/api/v1/cart/items", {"listingId": product["id"], "quantity": 1}, token)
        status, checkout = call(platform.base, "POST", "/api/v1/checkouts", {"recipient": RECIPIENT}, token,
                                {"Idempotency-Key": str(uuid.uuid4())})
        if status != 201:
            raise SystemExit(f"checkout for the callbacks failed: {status} {checkout}")
        intents.append((checkout["id"], checkout["totalFen"]))
    database = sqlite3.connect(os.path.join(platform.data, "covenant.sqlite"))
    by_checkout = dict(database.execute("SELECT checkout_id, intent_id FROM payments WHERE intent_id IS NOT NULL"))
    database.close()
    if not by_checkout:
        raise SystemExit("no checkout got a payment intent: is the payment sandbox reachable? (see server.log)")
    secret = base64.b64decode(platform.secret)
    with open(path, "w") as file:
        for checkout_id, total in intents:
            if checkout_id not in by_checkout:
                continue  # the payment could not be opened at checkout (institution busy): nothing to call back
            event = {"eventId": "evt_" + uuid.uuid4().hex, "type": "payment.succeeded",
                     "intentId": by_checkout[checkout_id], "reference": checkout_id, "amountFen": total,
                     "currency": "CNY", "token": "tok_" + uuid.uuid4().hex, "brand": "visa", "last4": "4242"}
            body = json.dumps(event, separators=(",", ":"))
            timestamp = str(int(time.time()))
            signature = hmac.new(secret, (timestamp + ".").encode() + body.encode(), hashlib.sha256).hexdigest()
            for _ in range(3):
                file.write(f"{timestamp}\t{signature}\t{body}\n")


def wrk(platform, script, seconds, threads, connections, env):
    run = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s",
         os.path.join(HERE, script), platform.base], env=dict(os.environ, **env), capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"wrk {script} failed: {run.stderr or run.stdout}")
    output = run.stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+([\d.]+)(us|ms|s)", output, re.M)
        if match:
            figures["p" + percentile] = float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non2xx"] = int(errors.group(1)) if errors else 0
    figures["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="browse,signin,checkout,callback")
    parser.add_argument("--database", help="postgres://… (an empty database) instead of SQLite")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    paths = args.only.split(",")
    work = tempfile.mkdtemp(prefix="covenant-load-")
    platform = Platform(os.path.abspath(args.binary), work, args.database)
    results = []
    try:
        platform.start()
        accounts = consumers(platform, 16)
        product = listing(platform)
        logins = os.path.join(work, "logins.tsv")
        with open(logins, "w") as file:
            file.writelines(f"{login}\t{PASSWORD}\n" for login, _ in accounts)
        tokens = os.path.join(work, "tokens.txt")
        with open(tokens, "w") as file:
            file.writelines(token + "\n" for _, token in accounts)
        if "browse" in paths:
            results.append(("browse GET /api/v1/products?limit=20",
                            wrk(platform, "browse.lua", args.seconds, 2, 64, {})))
        if "signin" in paths:
            results.append(("sign-in POST /api/v1/sessions (bcrypt)",
                            wrk(platform, "signin.lua", args.seconds, 2, 16, {"LOAD_LOGINS": logins})))
        if "checkout" in paths:
            figures = wrk(platform, "checkout.lua", args.seconds, 16, 16,
                          {"LOAD_TOKENS": tokens, "LOAD_LISTING": product["id"]})
            figures["rps"] /= 2  # every other request puts the listing in the cart
            results.append(("checkout POST /api/v1/checkouts (+ cart)", figures))
        if "callback" in paths and not args.database:
            callbacks = os.path.join(work, "callbacks.tsv")
            signed_callbacks(platform, accounts, product, 300, callbacks)
            results.append(("payment callback (each event several times)",
                            wrk(platform, "callback.lua", min(args.seconds, 60), 2, 16, {"LOAD_CALLBACKS": callbacks})))
    finally:
        platform.stop()
    print(f"\n{'path':<52} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, f in results:
        print(f"{name:<52} {f['rps']:>9.0f} {f.get('p50', 0):>8.2f} {f.get('p90', 0):>8.2f} {f.get('p99', 0):>8.2f}"
              f" {f['non2xx']:>8}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
