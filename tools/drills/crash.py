#!/usr/bin/env python3
"""Crash drill (issue 11): concurrent clients place and pay orders with idempotency keys while the server is
killed with SIGKILL at random and restarted. Passes when no acknowledged order or payment is lost, none is
duplicated, and `covenant ledger check` and `covenant audit verify` pass afterwards. Standard library only.

Usage: crash.py PATH/TO/covenant [--kills N] [--clients N] [--quick] [--seed S] [--keep] [--tolerate-stuck-keys]

Set-up: a temporary data directory; the payment sandbox as its own process (`covenant payment-sandbox`, its own
storage file) so that it survives the platform's kills; `covenant serve --demo` once to seed the demo merchants,
then plain `covenant serve` pointed at the sandbox (COVENANT_PAYMENT_URL, _API_KEY, _SECRET) on a fixed free
port. The shield's rate limits are off and loopback is allow-listed (32 clients from 127.0.0.1 would trip them),
and the risk engine runs an empty rule set: the bundled velocity and shared-card rules rightly flag one address
placing hundreds of orders a minute with one card, which is not what this drill measures.

Each client has its own consumer account (a new one every PER_ACCOUNT checkouts; carts are per account) and
loops: set cart lines, POST /api/v1/checkouts with an Idempotency-Key, pay on the sandbox's hosted page with
4242424242424242. A connection error, a 5xx or a 409 "still running" is retried with the same request and the
same key. A killer thread SIGKILLs the server 0.3 to 2 s after it is ready (one kill in ten during start-up
instead) and starts it again. Then the acknowledged checkouts are checked through the API and in the database,
and the ledger and the audit log with the CLI.

It also fails when an Idempotency-Key is left claimed with no response (each retry then answers 409 "still
running" for good, though no request is running any more); --tolerate-stuck-keys reports those without failing.
"""
import argparse, base64, concurrent.futures, hashlib, hmac, http.client, json, os, random, shutil, signal, socket
import sqlite3, struct, subprocess, sys, tempfile, threading, time, urllib.parse, uuid

CARD = "4242424242424242"
PASSWORD = "drill-Passw0rd-2026"
PER_ACCOUNT = 40  # checkouts per consumer account: stays under checkout-list limits (200 orders)
INFLIGHT_PATIENCE = 120.0  # seconds a key may answer 409 "still running": an abandoned claim is taken over after 30 s (again if that retry is killed too)
SETTLE_SECONDS = 180.0  # the sandbox retries a callback 8 times, doubling from 500 ms (about 64 s)
RECIPIENT = {"name": "欧阳小燕", "phone": "13912340987",
             "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 477 号 8 幢 1203"}}
LISTINGS = [  # (merchant index, title, description, price in fen, category)
    (0, "演练绿茶 100g", "压测演练用商品，真空包装。", 990, "tea"),
    (0, "演练茶杯", "压测演练用商品，容量 200ml。", 1290, "home"),
    (1, "演练数据线 1m", "压测演练用商品，USB-C 接口。", 2990, "electronics"),
    (1, "演练充电器 20W", "压测演练用商品，折叠插脚。", 4590, "electronics"),
]
NO_RULES = {"version": "crash-drill-no-rules", "thresholds": {"review": 1000, "challenge": 2000, "block": 3000},
            "rules": []}


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_ms():
    return int(time.time() * 1000)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def get(self, name):
        with self.lock:
            return self.counts.get(name, 0)


STATS = Stats()


class Unreachable(Exception):
    """No answer: connection refused or reset, timeout."""


def call(method, url, body=None, headers=None, form=None, timeout=15.0):
    """One request on a fresh connection; (status, headers, bytes), or Unreachable."""
    parsed = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    path = parsed.path + ("?" + parsed.query if parsed.query else "")
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    STATS.add("requests")
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


def decode(data):
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {"raw": data[:200].decode(errors="replace")}


class Server:
    """The platform process: started, killed and restarted on one port and data directory."""

    def __init__(self, binary, data_dir, port, env, log_path):
        self.binary, self.data_dir, self.port, self.env = binary, data_dir, port, env
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process = None
        self.lock = threading.Lock()
        self.starts = 0

    def _mark(self, text):
        with open(self.log_path, "a") as log:
            log.write(f"=== crash drill: {text} at {time.strftime('%H:%M:%S')} ===\n")

    def spawn(self, demo=False):
        self.starts += 1
        self._mark(f"start {self.starts}" + (" --demo" if demo else ""))
        args = [self.binary, "serve", "--data-dir", self.data_dir, "--port", str(self.port)] + (["--demo"] if demo else [])
        log = open(self.log_path, "a")
        with self.lock:
            self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        log.close()
        return time.time()

    def wait_ready(self, started, timeout=90.0):
        while time.time() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} while starting "
                                   f"(start {self.starts}; see {self.log_path})")
            try:
                status, _, _ = call("GET", self.base + "/health/ready", timeout=2)
                if status == 200:
                    return
            except Unreachable:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s (start {self.starts}; see {self.log_path})")

    def start(self, demo=False):
        self.wait_ready(self.spawn(demo))

    def kill(self):
        with self.lock:
            process = self.process
        if process and process.poll() is None:
            self._mark(f"SIGKILL pid {process.pid}")
            os.kill(process.pid, signal.SIGKILL)
        if process:
            process.wait()

    def stop(self):
        """SIGTERM (finish in-flight requests), SIGKILL after 30 s; the exit code, or None when killed."""
        with self.lock:
            process = self.process
        if not process or process.poll() is not None:
            return process.returncode if process else 0
        self._mark(f"SIGTERM pid {process.pid}")
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return None


class Client(threading.Thread):
    """One shopper: its own accounts, cart and keys, one request at a time."""

    def __init__(self, number, server, listings, stop_event, seed, first_account):
        super().__init__(name=f"client-{number}", daemon=True)
        self.number, self.server, self.listings, self.stop_event = number, server, listings, stop_event
        self.random = random.Random(seed * 1000 + number)
        self.accounts = [first_account]  # {"login", "token"}
        self.account = first_account
        self.keys = []  # one record per Idempotency-Key, in order
        self.error = None

    # Requests that are retried until they are answered.

    def send(self, method, path, body=None, key=None, auth=True, expect_inflight=False):
        """Sends until the platform answers (not 5xx). A 401 signs in again; with `expect_inflight`, a 409
        "still running" or "being released" is retried too, for up to INFLIGHT_PATIENCE seconds."""
        inflight_since = None
        attempt = 0
        while True:
            headers = {}
            if auth:
                headers["Authorization"] = "Bearer " + self.account["token"]
            if key:
                headers["Idempotency-Key"] = key
            if attempt:
                STATS.add("retries")
            attempt += 1
            try:
                status, response_headers, data = call(method, self.server.base + path, body=body, headers=headers)
            except Unreachable:
                STATS.add("no answer")
                time.sleep(0.1 + self.random.random() * 0.1)
                continue
            if status >= 500:
                STATS.add("5xx answers")
                time.sleep(0.1 + self.random.random() * 0.1)
                continue
            if status == 401 and auth:
                self.sign_in()
                continue
            if status == 429:
                STATS.add("429 answers")
                time.sleep(0.5)
                continue
            reply = decode(data)
            detail = str(reply.get("detail", ""))
            if expect_inflight and status == 409 and ("still running" in detail or "being released" in detail):
                STATS.add("409 in-flight answers")
                inflight_since = inflight_since or time.time()
                if time.time() - inflight_since < INFLIGHT_PATIENCE:
                    time.sleep(0.2)
                    continue
            return status, response_headers, reply, attempt

    def sign_in(self):
        while True:
            try:
                status, _, data = call("POST", self.server.base + "/api/v1/sessions",
                                       body={"login": self.account["login"], "password": PASSWORD})
            except Unreachable:
                time.sleep(0.1)
                continue
            if status == 201:
                self.account["token"] = decode(data)["token"]
                return
            if status >= 500 or status == 429:
                time.sleep(0.2)
                continue
            raise RuntimeError(f"sign-in of {self.account['login']}: {status} {data[:300]}")

    def new_account(self):
        login = register(self.server, self.number, len(self.accounts), self.random)
        self.account = {"login": login, "token": ""}
        self.sign_in()
        self.accounts.append(self.account)

    # The loop.

    def run(self):
        try:
            checkouts = 0
            while not self.stop_event.is_set():
                if checkouts and checkouts % PER_ACCOUNT == 0:
                    self.new_account()
                self.iteration()
                checkouts += 1
        except Exception as error:  # reported by main
            self.error = f"{self.name}: {type(error).__name__}: {error}"
            self.stop_event.set()

    def iteration(self):
        chosen = self.random.sample(self.listings, self.random.choice([1, 1, 2]))
        for listing in chosen:
            status, _, reply, _ = self.send("POST", "/api/v1/cart/items",
                                            {"listingId": listing["id"], "quantity": self.random.randint(1, 3)})
            if status != 200:
                raise RuntimeError(f"cart: {status} {reply}")
        key = f"crash-{self.number}-{len(self.keys)}-{uuid.uuid4()}"
        record = {"key": key, "account": self.account["login"], "sent_ms": now_ms()}
        self.keys.append(record)
        status, headers, reply, attempts = self.send("POST", "/api/v1/checkouts", {"recipient": RECIPIENT}, key=key,
                                                     expect_inflight=True)
        record.update(answered_ms=now_ms(), status=status, attempts=attempts)
        if headers.get("idempotent-replayed") == "true":
            STATS.add("replayed checkouts")
        if status != 201:
            record["problem"] = f"{status} {reply.get('type', '')}: {reply.get('detail', reply)}"
            STATS.add(f"checkout answered {status} {reply.get('type', '')}".strip())
            return
        record["checkout"] = reply["id"]
        record["orders"] = sorted(order["id"] for order in reply["orders"])
        record["totalFen"] = reply["totalFen"]
        STATS.add("acknowledged checkouts")
        STATS.add("acknowledged orders", len(record["orders"]))
        pay_url = (reply.get("payment") or {}).get("payURL")
        if not pay_url:
            status, _, payment, _ = self.send("POST", f"/api/v1/checkouts/{reply['id']}/payment")
            if status != 200 or not payment.get("payURL"):
                record["payProblem"] = f"start payment: {status} {payment}"
                STATS.add("payments not started")
                return
            pay_url = payment["payURL"]
        while True:  # the sandbox is not killed, but answer it like any other service
            try:
                status, _, page = call("POST", pay_url, form={"card": CARD, "expiry": "12/30", "cvc": "123"})
            except Unreachable:
                STATS.add("retries")
                time.sleep(0.2)
                continue
            break
        if status == 200 and b"Payment complete" in page:
            record["paid"] = True
            STATS.add("acknowledged payments")
        else:
            record["payProblem"] = f"hosted page: {status} {page[:200]!r}"
            STATS.add("payments refused by the sandbox")


def register(server, client, n, rng):
    """A new consumer account, retried; a 409 after an unanswered attempt means that attempt registered it."""
    login = f"13{client:03d}{n:03d}{rng.randint(0, 999):03d}"
    body = {"kind": "consumer", "login": login, "password": PASSWORD, "displayName": f"演练顾客{client}-{n}"}
    unanswered = False
    while True:
        try:
            status, _, data = call("POST", server.base + "/api/v1/accounts", body=body)
        except Unreachable:
            unanswered = True
            time.sleep(0.1)
            continue
        if status == 201 or (status == 409 and unanswered):
            return login
        if status >= 500 or status == 429:
            unanswered = True
            time.sleep(0.2)
            continue
        raise RuntimeError(f"registration of {login}: {status} {data[:300]}")


def killer(server, kills, rng, stop_event, log):
    """SIGKILLs the server `kills` times: 0.3-2 s after it is ready or, one time in ten, while it starts."""
    try:
        while log["kills"] < kills:
            if stop_event.wait(rng.uniform(0.3, 2.0)):
                return
            killed = time.time()
            server.kill()
            log["kills"] += 1
            started = server.spawn()
            if log["kills"] < kills and rng.random() < 0.1:
                time.sleep(rng.uniform(0.0, 0.3))
                server.kill()
                log["kills"] += 1
                log["start-up kills"] += 1
                started = server.spawn()
            server.wait_ready(started)
            log["down seconds"].append(time.time() - killed)
    except Exception as error:
        log["error"] = f"killer: {type(error).__name__}: {error}"
        stop_event.set()


def api(server, account, method, path, body=None):
    """A verification request as `account`, retried until answered; (status, reply)."""
    while True:
        headers = {"Authorization": "Bearer " + account["token"]} if account.get("token") else {}
        try:
            status, _, data = call(method, server.base + path, body=body, headers=headers)
        except Unreachable:
            time.sleep(0.2)
            continue
        if status >= 500 or status == 429:
            time.sleep(0.2)
            continue
        if status == 401:
            status, _, data = call("POST", server.base + "/api/v1/sessions",
                                   body={"login": account["login"], "password": PASSWORD})
            if status != 201:
                return 401, decode(data)
            account["token"] = decode(data)["token"]
            continue
        return status, decode(data)


def wait_for_line(path, needle, process, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as file:
            for line in file:
                if needle in line:
                    return line
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"no '{needle}' in {path}")


def setup_catalog(server, data_dir):
    """Signs the two demo merchant owners in (TOTP) and lists the drill's products with ample stock."""
    with open(os.path.join(data_dir, "demo-logins.json")) as file:
        owners = [login for login in json.load(file) if login["role"] == "merchant owner"]
    if len(owners) < 2:
        raise RuntimeError("demo-logins.json has fewer than two merchant owners")
    tokens = []
    for owner in owners[:2]:
        status, _, data = call("POST", server.base + "/api/v1/sessions", body={
            "login": owner["login"], "password": owner["password"], "otp": totp(owner["totpSecret"], time.time())})
        if status != 201:
            raise RuntimeError(f"merchant sign-in: {status} {data[:300]}")
        tokens.append(decode(data)["token"])
    listings = []
    for merchant, title, description, price, category in LISTINGS:
        status, _, data = call("POST", server.base + "/api/v1/merchant/products", headers={
            "Authorization": "Bearer " + tokens[merchant]}, body={
            "title": title, "description": description, "imageRefs": [f"drill/{category}-{price}.jpg"],
            "priceFen": price, "stock": 1_000_000, "category": category})
        listing = decode(data)
        if status != 201 or listing.get("status") != "published":
            raise RuntimeError(f"listing {title}: {status} {listing}")
        listings.append(listing)
    return listings


def verify(server, clients, data_dir, sandbox_storage, listings):
    """Everything acknowledged is there exactly once; (failures, notes, figures, stuck keys)."""
    failures, notes, figures, stuck = [], [], {}, []
    records = [record for client in clients for record in client.keys]
    acknowledged = [record for record in records if "checkout" in record]
    paid = [record for record in acknowledged if record.get("paid")]
    accounts = {account["login"]: account for client in clients for account in client.accounts}

    # 1. Callbacks: every payment the sandbox acknowledged reaches the platform (its retries back off to ~64 s).
    pending = list(paid)
    started = time.time()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    while pending and time.time() - started < SETTLE_SECONDS:
        answers = list(pool.map(lambda r: api(server, accounts[r["account"]], "GET",
                                              f"/api/v1/checkouts/{r['checkout']}/payment"), pending))
        pending = [r for r, (status, reply) in zip(pending, answers) if reply.get("status") != "succeeded"]
        if pending:
            time.sleep(1.0)
    figures["callbacks settled after"] = f"{time.time() - started:.1f} s"
    for record in pending:
        failures.append(f"payment acknowledged by the sandbox but not applied: checkout {record['checkout']}")

    # 2. Every acknowledged order, fetched one by one, in the state its payment implies.
    def fetch(pair):
        record, order_id = pair
        return record, order_id, api(server, accounts[record["account"]], "GET", f"/api/v1/orders/{order_id}")
    lost = set()  # acknowledged checkouts with an order missing or different
    for record, order_id, (status, order) in pool.map(
            fetch, [(r, o) for r in acknowledged for o in r["orders"]]):
        expected = "awaiting_shipment" if record.get("paid") else "awaiting_payment"
        if status != 200:
            lost.add(record["checkout"])
            failures.append(f"acknowledged order {order_id} (key {record['key']}): GET answered {status} {order}")
        elif order.get("checkoutId") != record["checkout"] or order.get("status") != expected:
            failures.append(f"order {order_id}: checkout {order.get('checkoutId')} status {order.get('status')}, "
                            f"expected {record['checkout']} {expected}")

    # 3. Each consumer's order list: the acknowledged checkouts with exactly their orders; ids for the database.
    buyer_ids = {}
    listed = {}
    for login, account in accounts.items():
        status, me = api(server, account, "GET", "/api/v1/me")
        buyer_ids[login] = me.get("id")
        status, reply = api(server, account, "GET", "/api/v1/orders")
        if status != 200:
            failures.append(f"order list of {login}: {status} {reply}")
            continue
        for order in reply.get("orders", []):
            listed.setdefault(order["checkoutId"], set()).add(order["id"])
    for record in acknowledged:
        if listed.get(record["checkout"]) != set(record["orders"]):
            failures.append(f"checkout {record['checkout']} lists orders {sorted(listed.get(record['checkout'], []))}"
                            f", acknowledged {record['orders']}")
    pool.shutdown()

    # 4. The stopped server's database: checkouts per Idempotency-Key, payments, stock, stored responses.
    code = server.stop()
    if code != 0:
        failures.append(f"the server exited with {code} after SIGTERM")
    database = sqlite3.connect(f"file:{os.path.join(data_dir, 'covenant.sqlite')}?mode=ro", uri=True)
    buyers = set(buyer_ids.values())
    checkouts = {}
    for checkout_id, buyer, created in database.execute("SELECT id, buyer_id, created_at FROM checkouts"):
        if buyer in buyers:
            checkouts[checkout_id] = (buyer, created)
    orders = {}
    for order_id, checkout_id, status in database.execute("SELECT id, checkout_id, status FROM orders"):
        orders.setdefault(checkout_id, {})[order_id] = status
    payments = dict(database.execute("SELECT checkout_id, status FROM payments"))
    stored = {}
    for key, status_code, body in database.execute(
            "SELECT idempotency_key, status_code, response_body FROM idempotency_keys WHERE idempotency_key LIKE 'crash-%'"):
        stored[key] = (status_code, body)
    stock = dict(database.execute("SELECT id, stock FROM listings"))
    taken = {}
    for listing_id, quantity in database.execute(
            "SELECT l.listing_id, l.quantity FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.status <> 'cancelled'"):
        taken[listing_id] = taken.get(listing_id, 0) + quantity
    database.close()

    windows = {}  # buyer id -> the client's keys, in the order sent (one at a time per account)
    for record in records:
        windows.setdefault(buyer_ids.get(record["account"]), []).append(record)
    per_key = {record["key"]: [] for record in records}
    unattributed = []
    for checkout_id, (buyer, created) in checkouts.items():
        owner = next((r for r in windows.get(buyer, [])
                      if r["sent_ms"] - 5 <= created <= r.get("answered_ms", 10 ** 15) + 5), None)
        if owner:
            per_key[owner["key"]].append(checkout_id)
        else:
            unattributed.append(checkout_id)
    duplicated = orphans = 0
    for record in records:
        found = per_key[record["key"]]
        duplicated += max(0, len(found) - 1)
        if len(found) > 1:
            failures.append(f"key {record['key']}: {len(found)} checkouts {found}")
        if "checkout" in record:
            if record["checkout"] not in found:
                lost.add(record["checkout"])
                failures.append(f"acknowledged checkout {record['checkout']} (key {record['key']}) is not in the "
                                f"database under its key's time window (found {found})")
            elif set(orders.get(record["checkout"], {})) != set(record["orders"]):
                lost.add(record["checkout"])
                failures.append(f"checkout {record['checkout']}: database orders {sorted(orders.get(record['checkout'], {}))}"
                                f", acknowledged {record['orders']}")
            status_code, body = stored.get(record["key"], (None, None))
            if status_code != 201 or decode(body).get("id") != record["checkout"]:
                failures.append(f"key {record['key']}: stored response {status_code} does not name checkout "
                                f"{record['checkout']}")
        elif found:
            orphans += len(found)
            state = stored.get(record["key"], ("missing", None))[0]
            if orphans <= 3:
                notes.append(f"key {record['key']} answered {record.get('problem')} after {record['attempts']} "
                             f"attempts, but checkout {found} exists (orders {orders.get(found[0])}; the key's stored status: "
                             f"{state})")
    if orphans > 3:
        notes.append(f"… {orphans - 3} more unacknowledged checkouts like these")
    for checkout_id in unattributed:
        duplicated += 1
        failures.append(f"checkout {checkout_id} was created outside every key's request (orders "
                        f"{orders.get(checkout_id)})")
    lost_payments = check_payments_and_stock(paid, orders, payments, listings, stock, taken, failures)
    wedged = [key for key, (status_code, _) in stored.items() if status_code is None]
    if wedged:
        stuck.append(f"{len(wedged)} Idempotency-Key(s) claimed in idempotency_keys with no response after the "
                     f"drill (every retry answers 409 'still running'; {orphans} of them with a checkout the client "
                     f"was never told about): {wedged[:3]}")

    # 5. The institution's own records: every captured intent is a paid checkout, and nothing is undelivered.
    captured = check_sandbox(sandbox_storage, payments, failures)

    figures.update({"acknowledged checkouts": len(acknowledged),
                    "acknowledged orders": sum(len(r["orders"]) for r in acknowledged),
                    "acknowledged payments": len(paid), "captured by the sandbox": len(captured),
                    "consumer accounts": len(accounts), "checkouts in the database": len(checkouts),
                    "unacknowledged checkouts": orphans, "keys without an answer": len(wedged),
                    "lost": len(lost), "lost payments": lost_payments, "duplicated": duplicated})
    return failures, notes, figures, stuck


def check_payments_and_stock(paid, orders, payments, listings, stock, taken, failures):
    """Every acknowledged payment succeeded with its orders awaiting shipment, and no unit of stock was lost or
    made up. Appends to `failures`; returns how many acknowledged payments were lost."""
    lost_payments = 0
    for record in paid:
        states = set(orders.get(record["checkout"], {}).values())
        if payments.get(record["checkout"]) != "succeeded" or states != {"awaiting_shipment"}:
            lost_payments += 1
            failures.append(f"paid checkout {record['checkout']}: payment {payments.get(record['checkout'])}, "
                            f"orders {states}")
    for listing in listings:
        if stock.get(listing["id"], 0) + taken.get(listing["id"], 0) != 1_000_000:
            failures.append(f"listing {listing['title']}: stock {stock.get(listing['id'])} + ordered "
                            f"{taken.get(listing['id'], 0)} != 1000000")
    return lost_payments


def check_sandbox(storage_path, payments, failures):
    """The institution's own records agree: one intent per checkout, every capture a paid checkout here, no
    callback left undelivered. Appends to `failures`; returns the captured checkouts."""
    with open(storage_path) as file:
        state = json.load(file)
    intents = list(state.get("intents", {}).values())
    references = [intent["request"]["reference"] for intent in intents]
    if len(references) != len(set(references)):
        failures.append("the sandbox holds two intents for one checkout")
    captured = [intent["request"]["reference"] for intent in intents if intent.get("status") == "succeeded"]
    for reference in captured:
        if payments.get(reference) != "succeeded":
            failures.append(f"the sandbox captured checkout {reference}; the platform's payment: {payments.get(reference)}")
    if state.get("undelivered"):
        failures.append(f"{len(state['undelivered'])} callbacks still undelivered by the sandbox")
    return captured


def run_check(binary, args, env, needle):
    run = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=600)
    output = (run.stdout + run.stderr).strip()
    return run.returncode == 0 and needle in output, output


def main():
    parser = argparse.ArgumentParser(
        description="Crash drill (issue 11): SIGKILL the server at random under concurrent checkouts and payments.")
    parser.add_argument("binary", nargs="?", default=".build/debug/covenant", help="the covenant executable")
    parser.add_argument("--kills", type=int, default=None, help="SIGKILLs (default 50; --quick: 8)")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (default 32; --quick: 8)")
    parser.add_argument("--quick", action="store_true", help="about 8 kills and 8 clients, for CI")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (kept on failure)")
    parser.add_argument("--tolerate-stuck-keys", action="store_true",
                        help="report, but do not fail on, keys that never get an answer after a crash (only lost, "
                             "duplicated and the two checks fail the drill)")
    args = parser.parse_args()
    kills = args.kills if args.kills is not None else (8 if args.quick else 50)
    clients_n = args.clients if args.clients is not None else (8 if args.quick else 32)
    seed = args.seed if args.seed is not None else int(time.time())
    binary = os.path.abspath(args.binary)
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="covenant-crash-")
    data_dir = os.path.join(work, "data")
    server_log, sandbox_log = os.path.join(work, "server.log"), os.path.join(work, "sandbox.log")
    sandbox_storage = os.path.join(work, "payment-sandbox.json")
    print(f"crash drill: {kills} kills, {clients_n} clients, seed {seed}, in {work}", flush=True)

    secret = base64.b64encode(os.urandom(32)).decode()
    api_key = base64.urlsafe_b64encode(os.urandom(24)).decode()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVENANT_")}
    rules = os.path.join(work, "no-rules.json")
    with open(rules, "w") as file:
        json.dump(NO_RULES, file)
    port = free_port()
    env.update(COVENANT_PAYMENT_API_KEY=api_key, COVENANT_PAYMENT_SECRET=secret, COVENANT_SHIELD_RATE_LIMITS="0",
               COVENANT_SHIELD_ALLOW="127.0.0.1", COVENANT_RISK_RULES=rules,
               COVENANT_PUBLIC_URL=f"http://127.0.0.1:{port}")
    sandbox = killing = None
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a CI timeout: still stop what was started
    server = Server(binary, data_dir, port, env, server_log)
    failures, notes, figures = [], [], {}
    began = time.time()
    try:
        with open(sandbox_log, "w") as log:
            sandbox = subprocess.Popen([binary, "payment-sandbox", "--port", "0", "--storage", sandbox_storage],
                                       env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        line = wait_for_line(sandbox_log, "Payment sandbox listening on", sandbox)
        env["COVENANT_PAYMENT_URL"] = line.split("listening on")[1].strip()

        # Seed the demo once (merchants with two-factor, verified, listing), then serve plainly: seeding is
        # idempotent (Demo.seed returns when the admin exists) but --demo also attaches the in-process identity
        # sandbox and console texts, which a production restart would not have.
        server.start(demo=True)
        if server.stop() != 0:
            raise RuntimeError("serve --demo did not stop cleanly on SIGTERM")
        server.start()
        listings = setup_catalog(server, data_dir)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            logins = list(pool.map(lambda n: register(server, n, 0, random.Random(seed + n)), range(clients_n)))
        clients = [Client(n, server, listings, stop_event, seed, {"login": logins[n], "token": ""})
                   for n in range(clients_n)]
        for client in clients:
            client.sign_in()
        print(f"set-up done in {time.time() - began:.1f} s: {len(listings)} listings, {clients_n} consumers; "
              f"sandbox at {env['COVENANT_PAYMENT_URL']}, platform on port {port}", flush=True)

        drill_started = time.time()
        base_requests = STATS.get("requests")
        log = {"kills": 0, "start-up kills": 0, "down seconds": []}
        killing = threading.Thread(target=killer, args=(server, kills, rng, stop_event, log), daemon=True)
        for client in clients:
            client.start()
        killing.start()
        while killing.is_alive():
            killing.join(timeout=10)
            print(f"  {log['kills']}/{kills} kills, {STATS.get('acknowledged checkouts')} checkouts, "
                  f"{STATS.get('acknowledged payments')} payments", flush=True)
        stop_event.set()
        for client in clients:
            client.join(timeout=INFLIGHT_PATIENCE + 120)
        drill_seconds = time.time() - drill_started
        if "error" in log:
            failures.append(log["error"])
        failures += [client.error for client in clients if client.error]
        failures += [f"{client.name} did not finish" for client in clients if client.is_alive()]
        if server.process.poll() is not None:  # the killer failed: one more start, for the checks
            server.start()
        requests_during = STATS.get("requests") - base_requests

        problems, notes, figures, stuck = verify(server, clients, data_dir, sandbox_storage, listings)
        failures += problems
        if stuck and args.tolerate_stuck_keys:
            notes += stuck
        else:
            failures += stuck
        ledger_ok, ledger = run_check(binary, ["ledger", "check", "--data-dir", data_dir], env, "reconciled")
        audit_ok, audit = run_check(binary, ["audit", "verify", "--data-dir", data_dir], env, "intact")
        print("ledger check:", ledger)
        print("audit verify:", audit)
        if not ledger_ok:
            failures.append(f"covenant ledger check: {ledger}")
        if not audit_ok:
            failures.append(f"covenant audit verify: {audit}")
        with open(server_log, errors="replace") as file:  # after the demo seeding's own start and stop
            lines = file.read().split("=== crash drill: start 2 ", 1)[-1].splitlines()
        errors = [line for line in lines if " error " in line or " critical " in line]
        down = log["down seconds"]
        figures = {"kills": log["kills"], "of which during start-up": log["start-up kills"],
                   "restart to ready (mean / max)": f"{sum(down) / max(len(down), 1):.2f} s / {max(down or [0]):.2f} s",
                   "requests during the drill": requests_during, "retries": STATS.get("retries"),
                   "unanswered (connection refused or reset)": STATS.get("no answer"),
                   "5xx answers": STATS.get("5xx answers"), "409 in-flight answers": STATS.get("409 in-flight answers"),
                   "replayed checkouts (Idempotent-Replayed)": STATS.get("replayed checkouts"), **figures,
                   "server log error lines": len(errors), "drill time": f"{drill_seconds:.1f} s",
                   "total time": f"{time.time() - began:.1f} s"}
        for name, count in sorted(STATS.counts.items()):
            if name.startswith("checkout answered") or name.startswith("payments "):
                figures[name] = count
        for line in errors[:5]:
            notes.append(f"server log: {line}")
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        stop_event.set()
        if killing and killing.is_alive():
            killing.join(timeout=120)
        try:
            server.stop()
        finally:
            if sandbox and sandbox.poll() is None:
                sandbox.terminate()
                try:
                    sandbox.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    sandbox.kill()
                    sandbox.wait()
    print("figures:")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    for note in notes[:20]:
        print("NOTE:", note)
    for failure in failures[:30]:
        print("FAIL:", failure)
    if len(failures) > 30:
        print(f"FAIL: … and {len(failures) - 30} more")
    if failures or args.keep:
        print(f"kept {work} (server.log, sandbox.log, data/)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("crash drill: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
