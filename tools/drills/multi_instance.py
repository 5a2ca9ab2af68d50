#!/usr/bin/env python3
"""Multi-instance drill (issue 11): several `covenant serve` instances behind nginx on one PostgreSQL primary with
a streaming replica (deploy/up.sh). Under checkout-and-pay load, one instance is SIGKILLed and not restarted.
Passes when no acknowledged order or payment is lost or duplicated, the other instances carry on, the background
services' leases pass to surviving instances only after the dead one's lapse, the replica has caught up, a lockout
and the sign-in rate limit hold across instances, and `covenant ledger check` and `covenant audit verify` pass.
Python 3 standard library only (plus psql, from PostgreSQL 15, for the database checks).

Usage: multi_instance.py BINARY [--instances 3] [--clients 16] [--seconds 60] [--quick] [--seed S] [--keep]
                                [--pg-port 5440] [--http-port 8100] [--dir RUN_DIR]

What it does:
- deploy/up.sh --trusted-proxy 127.0.0.1 in a temporary directory: the drill's clients play the load balancer in
  front of nginx, so each order can come from its own made-up address (X-Forwarded-For 10.x.y.z) and the load is
  not throttled as one client; loopback is NOT on the shield's allow-list and the rate limits stay on. The risk
  engine runs an empty rule set (COVENANT_RISK_RULES), as in crash.py: the bundled velocity and shared-card rules
  rightly stop one card paying hundreds of orders a minute, which is not what this drill measures.
- The load is crash.py's client (imported): each client has its own consumer account and loops: cart lines,
  POST /api/v1/checkouts with an Idempotency-Key (retried with the same key on a connection error or a 5xx, and
  patiently on 409 "still running": the platform takes an abandoned key over after 30 s), then pays on the
  sandbox's hosted page. All of it through nginx, whose callbacks reach any instance.
- After about a third of the run, the instance that holds the audit-integration lease (the one doing the most
  background work) is SIGKILLed and stays dead; the load goes on. A sampler reads service_leases twice a second.
- After the load: a lockout across instances (5 failed sign-ins on instance A, then the right password on B is
  refused 429 `account-locked`; also with the failures spread over the survivors), and the sign-in/registration
  rate limit across instances: with one fixed X-Forwarded-For, requests round-robin over the survivors, paced
  (4 a second in all), must be refused about where one shared bucket refuses (burst 20 plus the refill plus at
  most 2 s of exchange lag), well before the burst x survivors that separate buckets would grant; an unpaced
  burst shows that within the ~1 s exchange lag each instance still grants its own burst (as docs/shield.md
  says), and that 3 s later every instance refuses although its own bucket would have refilled.
- Then: every acknowledged payment applied (the sandbox retries callbacks ~64 s); every acknowledged order
  through the API (GET /orders/{id}, each consumer's list); on the primary: one checkout per Idempotency-Key
  (the key's `resource` names it, and no other checkout of the buyer falls in the key's request window), paid
  checkouts succeeded, stock + ordered = 1,000,000; the sandbox's records; the leases; the replica (same counts,
  pg_stat_replication streaming); `covenant ledger check` and `covenant audit verify --database` on the primary.
Exit status 0 when everything held; 1 with FAIL lines otherwise. deploy/down.sh always runs at the end.
"""
import argparse, concurrent.futures, datetime, json, os, random, re, shlex, shutil, signal, subprocess, sys, tempfile
import threading, time, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import crash  # noqa: E402  (the crash drill's client: Client, register, setup_catalog, api, call)

PSQL = "/usr/lib/postgresql/15/bin/psql"
AUTH_BURST, AUTH_RATE = 20, 0.5  # docs/shield.md: sign-in and registration, per address
EXCHANGE_LAG = 2.0  # seconds: each instance publishes and reads shield_usage once a second, so at most ~2 s
RATE_PACE = 0.25  # seconds between the paced rate-limit requests (4 a second in all)
LEASE_SLACK = 3.0  # seconds after a lease lapses (plus one round) by which a survivor must hold it

# ---------------------------------------------------------------------------------------------------------------
# Every request carries an X-Forwarded-For: the order's address (set per thread) or a fresh one. crash.call is
# wrapped in place, so crash's Client, register, api and setup_catalog send it too.

_local = threading.local()
_address_rng = random.Random()
_address_lock = threading.Lock()
_plain_call = crash.call


def random_address(rng=None):
    with _address_lock:
        rng = rng or _address_rng
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def call(method, url, body=None, headers=None, form=None, timeout=15.0):
    headers = dict(headers or {})
    headers.setdefault("X-Forwarded-For", getattr(_local, "address", None) or random_address())
    return _plain_call(method, url, body=body, headers=headers, form=form, timeout=timeout)


crash.call = call


class Front:
    """What crash's helpers call `server`: here nginx, the set's one public address."""

    def __init__(self, base):
        self.base = base


class LoadClient(crash.Client):
    """crash.py's shopper, with one made-up client address per order and the time each order finished."""

    def iteration(self):
        _local.address = random_address(self.random)
        before = len(self.keys)
        try:
            super().iteration()
        finally:
            _local.address = None
            if len(self.keys) > before:
                self.keys[-1]["done_ms"] = crash.now_ms()


# ---------------------------------------------------------------------------------------------------------------
# The set: deploy/up.sh's settings, SQL on the primary and the replica, the instances.

def read_env_file(path):
    values = {}
    with open(path) as file:
        for line in file:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key] = value[1:-1] if value.startswith('"') and value.endswith('"') else value
    return values


class Deployment:
    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.settings = read_env_file(os.path.join(run_dir, "settings.env"))
        self.env_file = read_env_file(os.path.join(run_dir, "covenant.env"))
        self.public = self.settings["PUBLIC_URL"]
        self.instances = self.settings["INSTANCE_URLS"].split()
        self.database = self.env_file["COVENANT_DATABASE_URL"]
        parts = urllib.parse.urlsplit(self.database)
        self.replica = self.database.replace(f":{parts.port}/", f":{self.settings['REPLICA_PORT']}/")
        self.shared = self.settings["SHARED_DATA_DIR"]

    def pid(self, number):
        try:
            with open(os.path.join(self.run_dir, "pids", f"instance-{number}.pid")) as file:
                return int(file.read().strip())
        except (OSError, ValueError):
            return None

    def log(self, number):
        return os.path.join(self.run_dir, "logs", f"instance-{number}.log")

    def sql(self, query, url=None, superuser=False, port=None):
        """Rows of a query, as lists of strings (None for NULL)."""
        if superuser:  # pg_stat_replication's details are for privileged roles: the cluster's own superuser
            command = [PSQL, "-X", "-At", "-F", "\x1f", "-P", "null=\x1e", "-h", self.settings["PG_SOCKET"], "-p",
                       port or self.settings["PG_PORT"], "-U", self.settings["PG_USER"], "-d", "postgres", "-c", query]
            if os.geteuid() == 0 and self.settings["PG_USER"] != "root":
                command = ["runuser", "-u", self.settings["PG_USER"], "--"] + command
        else:
            command = [PSQL, "-X", "-At", "-F", "\x1f", "-P", "null=\x1e", "-d", url or self.database, "-c", query]
        run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
        if run.returncode != 0:
            raise RuntimeError(f"psql: {run.stderr.strip()[:400]} (query: {query[:120]})")
        return [[None if v == "\x1e" else v for v in line.split("\x1f")] for line in run.stdout.splitlines() if line]

    def cli_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVENANT_")}
        env.update(self.env_file)
        return env


class LeaseSampler(threading.Thread):
    """Reads service_leases twice a second: (time, {name: (holder, expires_at, acquired_at)})."""

    def __init__(self, deployment, stop_event):
        super().__init__(name="lease-sampler", daemon=True)
        self.deployment, self.stop_event = deployment, stop_event
        self.samples = []
        self.errors = 0

    def run(self):
        while not self.stop_event.is_set():
            try:
                rows = self.deployment.sql("SELECT name, holder, expires_at, acquired_at FROM service_leases")
                self.samples.append((crash.now_ms(), {r[0]: (r[1], int(r[2]), int(r[3])) for r in rows}))
            except Exception:
                self.errors += 1
            self.stop_event.wait(0.5)

    def latest(self):
        return self.samples[-1][1] if self.samples else {}


def holder_pid(holder):
    """Instance ids are host-PID-random (Platform.instanceId)."""
    match = re.match(r"^.*-(\d+)-[0-9a-z]+$", holder or "")
    return int(match.group(1)) if match else None


LEASE_ROUNDS = {  # seconds between rounds (Sources/App/BackgroundServices.swift); ttl = max(10 s, 3 rounds)
    "audit-integration": 0.25, "maintenance-jobs": 2, "order-timers": 15, "backups": 600, "retention": 3600}


# ---------------------------------------------------------------------------------------------------------------
# Lockout and rate limits across instances (straight to the instances, each with its own X-Forwarded-For).

def direct(base, method, path, body=None, address=None, token=None):
    headers = {"X-Forwarded-For": address or random_address()}
    if token:
        headers["Authorization"] = "Bearer " + token
    status, _, data = _plain_call(method, base + path, body=body, headers=headers)
    return status, crash.decode(data)


def problem_type(reply):
    return str(reply.get("type", "")).rsplit("/", 1)[-1]


def lockout_check(front, survivors, failures, figures, rng):
    """5 failures on instance A, the right password on B: refused as locked; also spread over the survivors."""
    results = {}
    for variant in ("one instance", "spread"):
        login = f"139{rng.randint(10_000_000, 99_999_999)}"
        status, _, data = _plain_call("POST", front.base + "/api/v1/accounts", headers={
            "X-Forwarded-For": random_address()}, body={"kind": "consumer", "login": login,
                                                        "password": crash.PASSWORD, "displayName": "锁定演练"})
        if status != 201:
            failures.append(f"lockout ({variant}): registration answered {status} {data[:200]}")
            continue
        address = random_address()
        answers = []
        for attempt in range(5):
            base = survivors[0] if variant == "one instance" else survivors[attempt % len(survivors)]
            status, reply = direct(base, "POST", "/api/v1/sessions",
                                   {"login": login, "password": "wrong-" + crash.PASSWORD}, address)
            answers.append(status)
        target = survivors[1] if variant == "one instance" else survivors[-1]
        status, reply = direct(target, "POST", "/api/v1/sessions", {"login": login, "password": crash.PASSWORD},
                               random_address())
        others = [direct(base, "POST", "/api/v1/sessions", {"login": login, "password": crash.PASSWORD},
                         random_address())[0] for base in survivors]
        results[variant] = (answers, status, problem_type(reply), others)
        where = (f"5 failures on {survivors[0]}" if variant == "one instance"
                 else "failures alternating over " + ", ".join(survivors))
        figures[f"lockout ({variant})"] = (f"{where}: {answers}; right password on {target}: {status} "
                                           f"{problem_type(reply)}; then on every survivor: {others}")
        if answers != [401] * 5:
            failures.append(f"lockout ({variant}): the 5 wrong passwords answered {answers}, expected 401 each")
        if status != 429 or problem_type(reply) != "account-locked":
            failures.append(f"lockout ({variant}): the right password on {target} after 5 failures elsewhere "
                            f"answered {status} {reply}; expected 429 account-locked")
        if any(code != 429 for code in others):
            failures.append(f"lockout ({variant}): the right password on the survivors answered {others}")
    return results


def simulate_buckets(times, targets, shared):
    """Token buckets (burst 20, 0.5/s) with no exchange lag, on a schedule of requests: one bucket for all
    instances (`shared`), or one per instance (what the instances would do without sharing). Returns the requests
    admitted before the first refusal, and in all."""
    buckets, first, admitted = {}, None, 0
    for index, (at, target) in enumerate(zip(times, targets)):
        key = "all" if shared else target
        tokens, last = buckets.get(key, (AUTH_BURST, times[0]))
        tokens = min(AUTH_BURST, tokens + (at - last) * AUTH_RATE)
        if tokens >= 1:
            tokens -= 1
            admitted += 1
        elif first is None:
            first = index
        buckets[key] = (tokens, at)
    return (first if first is not None else len(times)), admitted


def auth_request(base, address):
    """One request of the sign-in/registration class that costs nothing but its token: a registration the
    platform refuses as invalid (422). Wrong-password sign-ins for random logins would be credential stuffing
    after 10 logins (a 403 ban, docs/shield.md) and measure that instead of the bucket."""
    status, reply = direct(base, "POST", "/api/v1/accounts", {"kind": "consumer"}, address)
    return status, problem_type(reply)


def rate_limit_check(survivors, failures, figures):
    n = len(survivors)
    # 1. Paced round robin: where does the shared bucket refuse? Then 3 s more, so that an instance whose view
    #    lags has learnt of the others' tokens too.
    address = random_address()
    times, targets, statuses = [], [], []
    started = time.time()
    first_429 = None
    tail = int(3.0 / RATE_PACE)
    while len(statuses) < 160 and (first_429 is None or len(statuses) < first_429 + tail):
        due = started + len(statuses) * RATE_PACE
        time.sleep(max(0.0, due - time.time()))
        target = survivors[len(statuses) % n]
        times.append(time.time())
        targets.append(target)
        status, _ = auth_request(target, address)
        statuses.append(status)
        if status == 429 and first_429 is None:
            first_429 = len(statuses) - 1
    before = first_429 if first_429 is not None else len(statuses)
    total = sum(1 for status in statuses if status != 429)
    elapsed = times[before - 1] - times[0] if before else 0.0
    # One bucket with no lag, and separate buckets, on the same schedule (continued until they refuse).
    count = max(len(statuses), 400)
    schedule = [times[0] + i * RATE_PACE for i in range(count)]
    schedule_targets = [survivors[i % n] for i in range(count)]
    ideal_first, _ = simulate_buckets(schedule, schedule_targets, shared=True)
    _, ideal_total = simulate_buckets(schedule[:len(statuses)], schedule_targets, shared=True)
    unshared_first, _ = simulate_buckets(schedule, schedule_targets, shared=False)
    _, unshared_total = simulate_buckets(schedule[:len(statuses)], schedule_targets, shared=False)
    allowance = int(EXCHANGE_LAG / RATE_PACE + 0.999)  # requests sent within the longest exchange lag
    per_instance = {t: sum(1 for s, tt in zip(statuses, targets) if tt == t and s != 429) for t in survivors}
    figures["rate limit, paced (4/s round robin over the survivors, one address)"] = (
        f"{before} admitted before the first 429 (after {elapsed:.1f} s), {total} of {len(statuses)} in all "
        f"{per_instance}; one shared bucket with no lag: {ideal_first} / {ideal_total}; bound (+{allowance}: "
        f"{EXCHANGE_LAG:.0f} s of exchange lag at this pace): {ideal_first + allowance} / {ideal_total + allowance}; "
        f"separate buckets (no sharing): {unshared_first} / {unshared_total} "
        f"(burst x survivors = {AUTH_BURST * n})")
    if first_429 is None:
        failures.append(f"rate limit: {len(statuses)} paced auth requests from one address, none refused")
    elif before > ideal_first + allowance or total > ideal_total + allowance:
        failures.append(f"rate limit: {before} (in all {total}) auth requests from one address admitted across "
                        f"{n} instances, more than one shared bucket allows ({ideal_first + allowance} / "
                        f"{ideal_total + allowance})")
    if first_429 is not None and before >= AUTH_BURST * n:
        failures.append(f"rate limit: {before} admitted before the first 429, as many as {n} separate buckets")
    # 2. Unpaced: within the exchange lag each instance grants its own burst; after it, all refuse.
    address = random_address()
    burst_statuses = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        for round_ in range(AUTH_BURST + 5):
            burst_statuses += list(pool.map(lambda base: auth_request(base, address)[0], survivors))
    granted = sum(1 for s in burst_statuses if s != 429)
    time.sleep(EXCHANGE_LAG + 1.0)
    later = [auth_request(base, address)[0] for base in survivors]
    figures["rate limit, unpaced burst (within the ~1 s exchange lag)"] = (
        f"{granted} of {len(burst_statuses)} admitted (burst x survivors = {AUTH_BURST * n}: each instance's own "
        f"bucket); {EXCHANGE_LAG + 1.0:.0f} s later, one request per survivor: {later} (separate buckets would "
        f"have refilled {int((EXCHANGE_LAG + 1.0) * AUTH_RATE * 10) / 10} token each and admitted them)")
    if granted > AUTH_BURST * n + n:
        failures.append(f"rate limit: an unpaced burst got {granted} requests admitted, more than burst x instances")
    if any(s != 429 for s in later):
        failures.append(f"rate limit: {EXCHANGE_LAG + 1.0:.0f} s after an exhausted burst the survivors answered "
                        f"{later}: the other instances' tokens were not debited")


# ---------------------------------------------------------------------------------------------------------------
# Verification of the orders, payments, database, replica, leases.

def verify_orders(deployment, front, clients, listings, kill_ms, failures, notes, figures):
    records = [record for client in clients for record in client.keys]
    acknowledged = [r for r in records if "checkout" in r]
    paid = [r for r in acknowledged if r.get("paid")]
    accounts = {account["login"]: account for client in clients for account in client.accounts}

    # 1. Every acknowledged payment reaches the platform (through nginx, to whichever instance).
    pending, started = list(paid), time.time()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    while pending and time.time() - started < crash.SETTLE_SECONDS:
        answers = list(pool.map(lambda r: crash.api(front, accounts[r["account"]], "GET",
                                                    f"/api/v1/checkouts/{r['checkout']}/payment"), pending))
        pending = [r for r, (status, reply) in zip(pending, answers) if reply.get("status") != "succeeded"]
        if pending:
            time.sleep(1.0)
    figures["callbacks all applied after the load"] = f"{time.time() - started:.1f} s"
    for record in pending:
        failures.append(f"payment acknowledged by the sandbox but not applied: checkout {record['checkout']}")

    # 2. Each acknowledged order through the API, in the state its payment implies.
    def fetch(pair):
        record, order_id = pair
        return record, order_id, crash.api(front, accounts[record["account"]], "GET", f"/api/v1/orders/{order_id}")
    lost = set()
    for record, order_id, (status, order) in pool.map(fetch, [(r, o) for r in acknowledged for o in r["orders"]]):
        expected = "awaiting_shipment" if record.get("paid") else "awaiting_payment"
        if status != 200:
            lost.add(record["checkout"])
            failures.append(f"acknowledged order {order_id} (key {record['key']}): GET answered {status} {order}")
        elif order.get("checkoutId") != record["checkout"] or order.get("status") != expected:
            failures.append(f"order {order_id}: checkout {order.get('checkoutId')} status {order.get('status')}, "
                            f"expected {record['checkout']} {expected}")

    # 3. Each consumer's order list.
    buyer_ids, listed = {}, {}
    for login, account in accounts.items():
        status, me = crash.api(front, account, "GET", "/api/v1/me")
        buyer_ids[login] = me.get("id")
        status, reply = crash.api(front, account, "GET", "/api/v1/orders")
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

    # 4. The primary: checkouts per key, payments, stock.
    buyers = {v for v in buyer_ids.values() if v}
    checkouts = {}
    for checkout_id, buyer, created in deployment.sql("SELECT id, buyer_id, created_at FROM checkouts"):
        if buyer in buyers:
            checkouts[checkout_id] = (buyer, int(created))
    orders = {}
    for order_id, checkout_id, status in deployment.sql("SELECT id, checkout_id, status FROM orders"):
        orders.setdefault(checkout_id, {})[order_id] = status
    payments = dict((r[0], r[1]) for r in deployment.sql("SELECT checkout_id, status FROM payments"))
    keys = {}
    for key, status_code, resource in deployment.sql(
            "SELECT idempotency_key, status_code, resource FROM idempotency_keys WHERE idempotency_key LIKE 'crash-%'"):
        keys[key] = (int(status_code) if status_code else None, resource)
    stock = dict((r[0], int(r[1])) for r in deployment.sql("SELECT id, stock FROM listings"))
    taken = {}
    for listing_id, quantity in deployment.sql(
            "SELECT l.listing_id, l.quantity FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.status <> 'cancelled'"):
        taken[listing_id] = taken.get(listing_id, 0) + int(quantity)

    windows = {}
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
        status_code, resource = keys.get(record["key"], (None, None))
        if resource and resource.startswith("checkout:") and resource[9:] not in found:
            found = found + [resource[9:]]
        duplicated += max(0, len(found) - 1)
        if len(found) > 1:
            failures.append(f"key {record['key']}: {len(found)} checkouts {found}")
        if "checkout" in record:
            if record["checkout"] not in found or record["checkout"] not in checkouts:
                lost.add(record["checkout"])
                failures.append(f"acknowledged checkout {record['checkout']} (key {record['key']}) is not in the "
                                f"primary's database under its key (found {found})")
            elif set(orders.get(record["checkout"], {})) != set(record["orders"]):
                lost.add(record["checkout"])
                failures.append(f"checkout {record['checkout']}: database orders "
                                f"{sorted(orders.get(record['checkout'], {}))}, acknowledged {record['orders']}")
            if status_code != 201 or resource != "checkout:" + record["checkout"]:
                failures.append(f"key {record['key']}: stored {status_code} {resource}, acknowledged checkout "
                                f"{record['checkout']}")
        elif found:
            orphans += len(found)
            if orphans <= 3:
                notes.append(f"key {record['key']} answered {record.get('problem')} after {record['attempts']} "
                             f"attempts, but checkout {found} exists (key stored: {status_code} {resource})")
    for checkout_id in unattributed:
        duplicated += 1
        failures.append(f"checkout {checkout_id} was created outside every key's request (orders "
                        f"{orders.get(checkout_id)})")
    lost_payments = crash.check_payments_and_stock(paid, orders, payments, listings, stock, taken, failures)
    wedged = [key for key, (status_code, _) in keys.items() if status_code is None]
    if wedged:
        failures.append(f"{len(wedged)} Idempotency-Key(s) left claimed with no response: {wedged[:3]}")

    # 5. The institution's records.
    captured = crash.check_sandbox(os.path.join(deployment.run_dir, "sandbox", "payment-sandbox.json"), payments,
                                   failures)

    after_kill = [r for r in acknowledged if kill_ms and r["answered_ms"] > kill_ms]
    retried = [r for r in records if r.get("attempts", 1) > 1]
    waits = sorted((r["answered_ms"] - r["sent_ms"]) / 1000 for r in retried)
    figures["checkouts retried with their key (longest wait for an answer)"] = (
        f"{len(retried)} ({waits[-1]:.1f} s)" if waits else "0")
    figures.update({
        "acknowledged checkouts (orders)": f"{len(acknowledged)} ({sum(len(r['orders']) for r in acknowledged)})",
        "acknowledged payments / captured by the sandbox": f"{len(paid)} / {len(captured)}",
        "checkouts acknowledged after the kill (paid)": f"{len(after_kill)} ({sum(1 for r in after_kill if r.get('paid'))})",
        "consumer accounts": len(accounts), "checkouts in the primary": len(checkouts),
        "unacknowledged checkouts": orphans, "keys without an answer": len(wedged),
        "lost": len(lost), "lost payments": lost_payments, "duplicated": duplicated})
    return checkouts


def verify_replica(deployment, failures, figures):
    """The replica replays up to the primary's position, holds the same orders, and streams."""
    target = deployment.sql("SELECT pg_current_wal_lsn()", superuser=True)[0][0]
    started, lag = time.time(), None
    while time.time() - started < 60:
        replayed = deployment.sql("SELECT pg_last_wal_replay_lsn()", url=deployment.replica)[0][0]
        lag = int(deployment.sql(f"SELECT pg_wal_lsn_diff('{target}', '{replayed}')", superuser=True)[0][0])
        if lag <= 0:
            break
        time.sleep(0.2)
    caught_up = time.time() - started
    counts = "SELECT (SELECT count(*) FROM checkouts), (SELECT count(*) FROM orders), " \
             "(SELECT count(*) FROM payments WHERE status = 'succeeded'), (SELECT count(*) FROM ledger_entries)"
    # The primary keeps writing (audit integration, signals): compare what the load wrote, which has stopped.
    primary = deployment.sql(counts)[0]
    replica = deployment.sql(counts, url=deployment.replica)[0]
    rows = deployment.sql("SELECT application_name, state, sync_state, "
                          "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), coalesce(replay_lag::text, '-') "
                          "FROM pg_stat_replication", superuser=True)
    in_recovery = deployment.sql("SELECT pg_is_in_recovery()", url=deployment.replica)[0][0]
    figures["replica"] = (f"caught up with the primary's LSN {target} after {caught_up:.1f} s; checkouts, orders, "
                          f"paid, ledger entries: primary {primary}, replica {replica}; pg_stat_replication "
                          f"{rows}; in recovery: {in_recovery}")
    if lag is None or lag > 0:
        failures.append(f"the replica is {lag} bytes behind the primary after 60 s")
    if primary != replica:
        failures.append(f"the replica's counts {replica} differ from the primary's {primary}")
    if not any(r[1] == "streaming" for r in rows):
        failures.append(f"pg_stat_replication shows no streaming standby: {rows}")
    if in_recovery != "t":
        failures.append("the replica is not in recovery (not a standby)")


def verify_leases(deployment, sampler, dead_holder, kill_ms, survivors_pids, failures, figures):
    """Each lease: the dead instance's lease is taken only after it lapsed, and only by a survivor; the short
    ones must have been taken over by now (waiting for them if need be)."""
    last_seen = {}  # name -> the dead holder's expires_at in the last sample that showed it holding
    for _, leases in sampler.samples:
        for name, (holder, expires, _) in leases.items():
            if holder == dead_holder:
                last_seen[name] = expires
    # Wait for the leases whose lapse plus one round is close.
    deadline_for = {name: expires + int((LEASE_ROUNDS.get(name, 15) + LEASE_SLACK) * 1000)
                    for name, expires in last_seen.items()}
    near = [d for name, d in deadline_for.items() if d - kill_ms < 120_000]
    if near:
        wait = (max(near) - crash.now_ms()) / 1000
        if wait > 0:
            print(f"  waiting {wait:.0f} s for the short leases to lapse and be taken over", flush=True)
            time.sleep(wait)
    time.sleep(1.0)  # one more sample
    leases = sampler.latest()
    lines = []
    for name in sorted(set(leases) | set(last_seen)):
        holder, expires, acquired = leases.get(name, (None, 0, 0))
        pid = holder_pid(holder)
        if name not in last_seen:
            lines.append(f"{name}: {holder} (never held by the killed instance)")
            if pid not in survivors_pids:
                failures.append(f"lease {name} is held by {holder}, not a surviving instance")
            continue
        lapsed = last_seen[name]
        if holder == dead_holder:
            if crash.now_ms() > deadline_for[name]:
                failures.append(f"lease {name}: still held by the killed instance {dead_holder}, "
                                f"{(crash.now_ms() - lapsed) / 1000:.0f} s after it lapsed")
            lines.append(f"{name}: still the killed instance's until it lapses at "
                         f"{time.strftime('%H:%M:%S', time.localtime(lapsed / 1000))} "
                         f"({(lapsed - kill_ms) / 1000:.0f} s after the kill; nobody took it early)")
            continue
        takeover = (acquired - kill_ms) / 1000
        lines.append(f"{name}: {holder} since {takeover:.1f} s after the kill ({(acquired - lapsed) / 1000:+.1f} s "
                     f"after the lapse)")
        if pid not in survivors_pids:
            failures.append(f"lease {name} went to {holder}, not a surviving instance")
        if acquired < lapsed:
            failures.append(f"lease {name} was taken by {holder} at {acquired}, before the killed instance's "
                            f"lease lapsed at {lapsed}")
    # No two holders at once in any sample: (a lease row has one holder; check the survivors' logs instead).
    figures["leases after the kill"] = "; ".join(lines)
    if sampler.errors:
        figures["lease sampler errors"] = sampler.errors


def service_claims(deployment, numbers):
    """From the instances' logs: `NAME: this instance runs it` / `another instance runs it` lines, per instance."""
    claims = {}
    for number in numbers:
        try:
            with open(deployment.log(number), errors="replace") as file:
                for line in file:
                    match = re.search(r"\] ([a-z -]+): (this instance runs it|another instance runs it)", line)
                    if match:
                        claims.setdefault(match.group(1), []).append(
                            (line[:24], number, match.group(2).startswith("this")))
        except OSError:
            pass
    return claims


def upstream_counts(deployment, kill_ms):
    """Requests per instance before and after the kill, from nginx's access log (1-second resolution)."""
    before, after, retried = {}, {}, 0
    try:
        with open(os.path.join(deployment.run_dir, "nginx", "access.log"), errors="replace") as file:
            for line in file:
                match = re.search(r"\[(\S+)\].*upstream=(.*?) ustatus=", line)
                if not match:
                    continue
                try:
                    stamp = datetime.datetime.fromisoformat(match.group(1)).timestamp()
                except ValueError:
                    continue
                upstreams = match.group(2).split(", ")
                if len(upstreams) > 1:
                    retried += 1
                bucket = after if stamp * 1000 >= kill_ms else before
                bucket[upstreams[-1]] = bucket.get(upstreams[-1], 0) + 1
    except OSError:
        pass
    return before, after, retried


def run_check(binary, args, env, needle):
    run = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=600, cwd="/")
    output = (run.stdout + run.stderr).strip()
    return run.returncode == 0 and needle in output, output


# ---------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description="Multi-instance drill (issue 11): kill one of several instances "
                                                 "behind nginx under load.")
    parser.add_argument("binary", help="the covenant executable")
    parser.add_argument("--instances", type=int, default=3, help="instances behind nginx (at least 3; default 3)")
    parser.add_argument("--clients", type=int, default=None, help="concurrent shoppers (default 16; --quick: 8)")
    parser.add_argument("--seconds", type=float, default=None, help="load duration (default 60; --quick: 50)")
    parser.add_argument("--quick", action="store_true", help="shorter, for CI (under 3 minutes in all)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (kept anyway on failure)")
    parser.add_argument("--dir", default=None, help="run directory (default: a new temporary directory)")
    parser.add_argument("--pg-port", type=int, default=5440)
    parser.add_argument("--http-port", type=int, default=8100)
    args = parser.parse_args()
    if args.instances < 3:
        parser.error("--instances must be at least 3: after the kill, lockouts and rate limits need two survivors")
    clients_n = args.clients or (8 if args.quick else 16)
    seconds = args.seconds or (50.0 if args.quick else 60.0)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    _address_rng.seed(seed + 1)
    binary = os.path.abspath(args.binary)
    run_dir = os.path.abspath(args.dir) if args.dir else tempfile.mkdtemp(prefix="covenant-multi-")
    os.makedirs(run_dir, exist_ok=True)
    os.chmod(run_dir, 0o755)
    print(f"multi-instance drill: {args.instances} instances, {clients_n} clients, {seconds:.0f} s of load, "
          f"seed {seed}, in {run_dir}", flush=True)

    failures, notes, figures = [], [], {}
    began = time.time()
    stop_event = threading.Event()
    sampler_stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a CI timeout: still run down.sh
    rules = os.path.join(run_dir, "no-rules.json")
    with open(rules, "w") as file:
        json.dump(crash.NO_RULES, file)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVENANT_")}
    env["COVENANT_RISK_RULES"] = rules
    up_log = os.path.join(run_dir, "up.log")
    deployment = sampler = None
    clients = []
    kill_ms = None
    try:
        command = [os.path.join(REPO, "deploy", "up.sh"), "--instances", str(args.instances), "--dir", run_dir,
                   "--pg-port", str(args.pg_port), "--http-port", str(args.http_port),
                   "--trusted-proxy", "127.0.0.1", binary]
        with open(up_log, "w") as log:
            up = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                timeout=600)
        with open(up_log) as log:
            output = log.read()
        print("  " + "\n  ".join(output.strip().splitlines()[-12:]), flush=True)
        if up.returncode != 0:
            raise RuntimeError(f"deploy/up.sh exited with {up.returncode} (see {up_log})")
        setup_seconds = time.time() - began
        deployment = Deployment(run_dir)
        front = Front(deployment.public)
        instance_pids = {n: deployment.pid(n) for n in range(1, args.instances + 1)}

        listings = crash.setup_catalog(front, deployment.shared)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            logins = list(pool.map(lambda n: crash.register(front, n, 0, random.Random(seed + n)), range(clients_n)))
        clients = [LoadClient(n, front, listings, stop_event, seed, {"login": logins[n], "token": ""})
                   for n in range(clients_n)]
        for client in clients:
            client.sign_in()
        sampler = LeaseSampler(deployment, sampler_stop)
        sampler.start()
        setup_all = time.time() - began
        print(f"set-up done in {setup_all:.1f} s: {len(listings)} listings, {clients_n} consumers, "
              f"instances {instance_pids}", flush=True)

        # The load, and the kill after about a third of it.
        load_started = time.time()
        base_requests = crash.STATS.get("requests")
        for client in clients:
            client.start()
        kill_at = load_started + seconds * 0.35
        victim = dead_holder = None
        while time.time() < load_started + seconds and not stop_event.is_set():
            time.sleep(min(5.0, max(0.1, (kill_at if victim is None else load_started + seconds) - time.time())))
            if victim is None and time.time() >= kill_at:
                leases = sampler.latest()
                holder = (leases.get("audit-integration") or (None,))[0]
                by_pid = {pid: n for n, pid in instance_pids.items()}
                victim = by_pid.get(holder_pid(holder)) or 1
                dead_holder = next((h for h, *_ in leases.values() if holder_pid(h) == instance_pids[victim]), None)
                before_kill = crash.STATS.get("acknowledged checkouts")
                with open(deployment.log(victim), "a") as log:
                    log.write(f"=== multi-instance drill: SIGKILL pid {instance_pids[victim]} at "
                              f"{time.strftime('%H:%M:%S')} ===\n")
                os.kill(instance_pids[victim], signal.SIGKILL)
                kill_ms = crash.now_ms()
                held = sorted(name for name, (h, *_) in leases.items() if h == dead_holder)
                print(f"  SIGKILLed instance {victim} (pid {instance_pids[victim]}, {dead_holder}, holding "
                      f"{held}) after {time.time() - load_started:.1f} s, {before_kill} checkouts so far", flush=True)
            else:
                print(f"  {time.time() - load_started:.0f} s: {crash.STATS.get('acknowledged checkouts')} checkouts, "
                      f"{crash.STATS.get('acknowledged payments')} payments", flush=True)
        stop_event.set()
        for client in clients:
            client.join(timeout=crash.INFLIGHT_PATIENCE + 120)
        load_seconds = time.time() - load_started
        failures += [client.error for client in clients if client.error]
        failures += [f"{client.name} did not finish" for client in clients if client.is_alive()]
        if victim is None:
            raise RuntimeError("the load ended before the kill")
        requests_during = crash.STATS.get("requests") - base_requests
        survivors = [deployment.instances[n - 1] for n in range(1, args.instances + 1) if n != victim]
        survivor_pids = {instance_pids[n] for n in instance_pids if n != victim}
        for n, pid in instance_pids.items():
            if n != victim:
                try:
                    os.kill(pid, 0)
                except OSError:
                    failures.append(f"instance {n} (pid {pid}) died during the drill (see {deployment.log(n)})")
        for base in survivors:
            status, _, _ = crash.call("GET", base + "/health/ready")
            if status != 200:
                failures.append(f"surviving instance {base} answers /health/ready {status}")

        # Lockouts and rate limits across the survivors.
        lockout_check(front, survivors, failures, figures, rng)
        rate_limit_check(survivors, failures, figures)

        # Orders, payments, the primary, the replica, the leases.
        verify_orders(deployment, front, clients, listings, kill_ms, failures, notes, figures)
        verify_replica(deployment, failures, figures)
        verify_leases(deployment, sampler, dead_holder, kill_ms, survivor_pids, failures, figures)
        claims = service_claims(deployment, [n for n in instance_pids if n != victim])
        took = {name: sorted({n for _, n, runs in entries if runs}) for name, entries in claims.items()}
        figures["background services claimed by survivors (logs)"] = took

        env_cli = deployment.cli_env()
        flags = ["--database", deployment.database, "--data-dir", deployment.shared]
        ledger_ok, ledger = run_check(binary, ["ledger", "check"] + flags, env_cli, "reconciled")
        audit_ok, audit = run_check(binary, ["audit", "verify"] + flags, env_cli, "intact")
        print("ledger check:", ledger)
        print("audit verify:", audit)
        if not ledger_ok:
            failures.append(f"covenant ledger check: {ledger}")
        if not audit_ok:
            failures.append(f"covenant audit verify: {audit}")

        before, after, retried = upstream_counts(deployment, kill_ms)
        errors = []
        for n in instance_pids:
            with open(deployment.log(n), errors="replace") as file:
                errors += [f"instance {n}: {line.strip()}" for line in file
                           if " error " in line or " critical " in line]
        try:
            with open(os.path.join(run_dir, "pg", "primary.log"), errors="replace") as file:
                primary_log = file.read()
        except OSError:
            primary_log = ""
        deadlocks = primary_log.count("ERROR:  deadlock detected")
        lock_waits = primary_log.count("still waiting for")
        if deadlocks:
            notes.append(f"platform: PostgreSQL detected {deadlocks} deadlock(s) between checkouts (UPDATE listings "
                         f"SET stock = stock - … in Orders.checkout, reserved in cart order, not listing order); each "
                         f"one answered 500 and was retried with its key (see {run_dir}/pg/primary.log)")
        acknowledged_after = sum(1 for c in clients for r in c.keys if "checkout" in r and r["answered_ms"] > kill_ms)
        figures = {
            "set-up: deploy/up.sh / with the catalog and consumers": f"{setup_seconds:.1f} s / {setup_all:.1f} s",
            "checks after the load": f"{time.time() - load_started - load_seconds:.1f} s",
            "load": f"{load_seconds:.1f} s, killed after {(kill_ms / 1000 - load_started):.1f} s",
            "requests during the load / retries": f"{requests_during} / {crash.STATS.get('retries')}",
            "unanswered (refused, reset) / 5xx / 429 / 409 in-flight": (
                f"{crash.STATS.get('no answer')} / {crash.STATS.get('5xx answers')} / "
                f"{crash.STATS.get('429 answers')} / {crash.STATS.get('409 in-flight answers')}"),
            "replayed checkouts (Idempotent-Replayed)": crash.STATS.get("replayed checkouts"),
            "checkout rate before / after the kill": (
                f"{before_kill / max(kill_ms / 1000 - load_started, 0.1):.1f}/s / "
                f"{acknowledged_after / max(load_started + load_seconds - kill_ms / 1000, 0.1):.1f}/s"),
            "nginx: requests per instance before the kill": before,
            "nginx: requests per instance after the kill": after,
            "nginx: requests retried on another instance": retried,
            **figures,
            "instance log error lines": len(errors),
            "PostgreSQL deadlocks / lock waits over 1 s (primary log)": f"{deadlocks} / {lock_waits}",
            "total time": f"{time.time() - began:.1f} s"}
        for name, count in sorted(crash.STATS.counts.items()):
            if name.startswith("checkout answered") or name.startswith("payments "):
                figures[name] = count
        for line in errors[:5]:
            notes.append(line)
        if acknowledged_after == 0:
            failures.append("no checkout was acknowledged after the kill")
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        stop_event.set()
        sampler_stop.set()
        down = subprocess.run([os.path.join(REPO, "deploy", "down.sh"), "--dir", run_dir], capture_output=True,
                              text=True, timeout=300)
        if down.returncode != 0:
            failures.append(f"deploy/down.sh exited with {down.returncode}: {down.stdout[-500:]} {down.stderr[-500:]}")
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
        print(f"kept {run_dir} (logs/, nginx/, pg/, up.log)")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    print(f"multi-instance drill: {'FAILED' if failures else 'passed'} in {time.time() - began:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
