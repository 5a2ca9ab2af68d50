#!/usr/bin/env python3
"""Smoke test of the README's first command: `covenant serve --demo` prints working logins and exits
cleanly on SIGTERM. Standard library only. Usage: demo_smoke.py PATH/TO/covenant"""
import base64, hashlib, hmac, json, os, re, signal, struct, subprocess, sys, tempfile, time, urllib.parse, urllib.request, urllib.error

def totp(secret_b32: str, at: float) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)

def call(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")

def check_audit_log(base, logins):
    """The independent Python verifier accepts the live log's head, an inclusion proof and a consistency proof."""
    verifier = os.path.join(os.path.dirname(__file__), "..", "audit", "verify.py")
    consumer = next((l for l in logins if l[0].startswith("consumer")), None)
    status, session = call(base, "POST", "/api/v1/sessions", {"login": consumer[1], "password": consumer[2]})
    token = session.get("token")
    time.sleep(1.0)  # the integrator publishes a head every 250 ms
    status, head = call(base, "GET", "/api/v1/audit/head")
    if status != 200:
        return [f"audit head: {status} {head}"]
    # Newest first: the sign-in just made is near the end (and a client walking every event would look like a
    # probe to the shield).
    own = next((n for n in reversed(range(head["treeSize"]))
                if call(base, "GET", f"/api/v1/audit/events/{n}/proof", token=token)[0] == 200), None)
    if own is None:
        return ["no audit event of the consumer's own could be proven"]
    saved = os.path.join(tempfile.mkdtemp(), "head.json")
    env = dict(os.environ, COVENANT_TOKEN=token)
    first = subprocess.run([sys.executable, verifier, "fetch", "--base-url", base, "--public-key", head["publicKey"],
                            "--sequence", str(own), "--save-head", saved], env=env, capture_output=True, text=True)
    call(base, "POST", "/api/v1/sessions", {"login": consumer[1], "password": consumer[2]})
    time.sleep(1.0)
    second = subprocess.run([sys.executable, verifier, "fetch", "--base-url", base, "--public-key", head["publicKey"],
                             "--old-head", saved], env=env, capture_output=True, text=True)
    problems = []
    for name, run in (("inclusion", first), ("consistency", second)):
        print(f"verify.py {name}: {(run.stdout + run.stderr).strip()}")
        if run.returncode != 0:
            problems.append(f"python verifier rejected the live {name} proof")
    return problems


def check_audit_cli(binary, data_dir):
    """`covenant audit verify` passes on the real log, and names the position of a tampered event."""
    import sqlite3
    problems = []
    checkpoint = subprocess.run([binary, "audit", "checkpoint", "--data-dir", data_dir], capture_output=True, text=True)
    saved = os.path.join(data_dir, "checkpoint.json")
    with open(saved, "w") as file:
        file.write(checkpoint.stdout)
    intact = subprocess.run([binary, "audit", "verify", "--data-dir", data_dir, "--checkpoint", saved],
                            capture_output=True, text=True)
    print("audit verify:", intact.stdout.strip())
    if intact.returncode != 0 or "intact" not in intact.stdout:
        problems.append(f"audit verify on the untouched log: {intact.returncode} {intact.stdout} {intact.stderr}")
    database = sqlite3.connect(os.path.join(data_dir, "covenant.sqlite"))
    database.execute("UPDATE audit_events SET outcome = 'denied' WHERE leaf_index = 3")
    database.commit()
    database.close()
    broken = subprocess.run([binary, "audit", "verify", "--data-dir", data_dir, "--checkpoint", saved],
                            capture_output=True, text=True)
    print("audit verify after tampering:", broken.stdout.strip())
    if broken.returncode == 0 or "position 3" not in broken.stdout:
        problems.append(f"audit verify missed a tampered event: {broken.returncode} {broken.stdout}")
    return problems


RECIPIENT = {"name": "欧阳小燕", "phone": "13912340987",
             "address": {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 477 号 8 幢 1203"}}


def check_purchase(base, logins):
    """A consumer buys a demo product and pays on the payment sandbox's hosted page; the callback marks it paid."""
    consumer = next((l for l in logins if l[0].startswith("consumer")), None)
    status, session = call(base, "POST", "/api/v1/sessions", {"login": consumer[1], "password": consumer[2]})
    token = session.get("token")
    status, products = call(base, "GET", "/api/v1/products")
    items = products.get("products") or products.get("items") or []
    if status != 200 or not items:
        return [f"browse: {status} {products}"]
    cheapest = min(items, key=lambda item: item["priceFen"])
    status, cart = call(base, "POST", "/api/v1/cart/items", {"listingId": cheapest["id"], "quantity": 1}, token)
    if status != 200:
        return [f"cart: {status} {cart}"]
    request = urllib.request.Request(base + "/api/v1/checkouts", method="POST",
                                     data=json.dumps({"recipient": RECIPIENT}).encode())
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Idempotency-Key", "smoke-" + str(time.time()))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            checkout = json.loads(response.read())
    except urllib.error.HTTPError as error:
        return [f"checkout: {error.code} {error.read()[:300]}"]
    pay_url = (checkout.get("payment") or {}).get("payURL")
    if not pay_url:
        return [f"checkout without a payment page: {checkout}"]
    form = urllib.parse.urlencode({"card": "4242424242424242", "expiry": "12/30", "cvc": "123"}).encode()
    with urllib.request.urlopen(urllib.request.Request(pay_url, data=form, method="POST"), timeout=10) as page:
        if "Payment complete" not in page.read().decode():
            return ["the hosted page did not complete the payment"]
    for _ in range(100):
        status, payment = call(base, "GET", f"/api/v1/checkouts/{checkout['id']}/payment", token=token)
        if payment.get("status") == "succeeded":
            print(f"purchase: paid {payment['amountFen']} fen with {payment['cardBrand']} {payment['cardLast4']}")
            return []
        time.sleep(0.1)
    return [f"the payment callback never arrived: {payment}"]


def check_ledger_cli(binary, data_dir):
    """`covenant ledger check` passes on the demo's ledger and names a tampered posting."""
    import sqlite3
    intact = subprocess.run([binary, "ledger", "check", "--offline", "--data-dir", data_dir],
                            capture_output=True, text=True)
    print("ledger check:", (intact.stdout + intact.stderr).strip())
    problems = []
    if intact.returncode != 0:
        problems.append(f"ledger check on the untouched ledger: {intact.returncode} {intact.stderr}")
    database = sqlite3.connect(os.path.join(data_dir, "covenant.sqlite"))
    changed = database.execute("UPDATE ledger_postings SET amount_fen = amount_fen + 1 "
                               "WHERE rowid = (SELECT MIN(rowid) FROM ledger_postings)").rowcount
    database.commit()
    database.close()
    broken = subprocess.run([binary, "ledger", "check", "--offline", "--data-dir", data_dir],
                            capture_output=True, text=True)
    print("ledger check after tampering:", (broken.stdout + broken.stderr).strip())
    if changed != 1 or broken.returncode == 0 or "does not balance" not in broken.stdout + broken.stderr:
        problems.append(f"ledger check missed a tampered posting: {broken.returncode} {broken.stderr}")
    return problems


def create_backup(binary, data_dir):
    """`covenant backup create` takes an online snapshot while the server runs."""
    target = os.path.join(data_dir, "smoke.backup")
    run = subprocess.run([binary, "backup", "create", "--data-dir", data_dir, "--output", target],
                         capture_output=True, text=True)
    print("backup create:", (run.stdout + run.stderr).strip())
    return target if run.returncode == 0 else None


def check_backup(binary, data_dir, backup):
    """The backup verifies (ledger and audit checks in a scratch copy); a modified one does not."""
    if not backup:
        return ["backup create failed"]
    good = subprocess.run([binary, "backup", "verify", "--data-dir", data_dir, backup], capture_output=True, text=True)
    print("backup verify:", good.stdout.strip().replace("\n", " | "))
    problems = [] if good.returncode == 0 else [f"backup verify failed: {good.stdout} {good.stderr}"]
    with open(backup, "rb") as file:
        data = bytearray(file.read())
    data[-100] ^= 1
    tampered = backup + ".tampered"
    with open(tampered, "wb") as file:
        file.write(data)
    bad = subprocess.run([binary, "backup", "verify", "--data-dir", data_dir, tampered], capture_output=True, text=True)
    if bad.returncode == 0:
        problems.append("backup verify accepted a modified backup")
    return problems


def check_logs(output, logins):
    """No login, phone number or test identity in the server's log lines (the demo banner prints the logins
    on purpose; log lines start with a timestamp)."""
    log_lines = [line for line in output.splitlines() if re.match(r"^\d{4}-\d{2}-\d{2}T", line)]
    identities = re.findall(r"^\s+(\S+)\s+(\d{17}[\dX])$", output, re.M)
    secrets = [login for _, login, _, _ in logins] + [part for pair in identities for part in pair]
    secrets += [RECIPIENT["name"], RECIPIENT["phone"], RECIPIENT["address"]["detail"]]
    leaks = [(secret, line) for line in log_lines for secret in secrets if secret in line]
    return [f"personal data in a log line: {line}" for _, line in leaks[:3]]

def check_governance_cli(binary, data_dir):
    """`covenant governance report` writes signed files that `verify` accepts, and refuses an altered one."""
    import datetime
    out = tempfile.mkdtemp(prefix="covenant-governance-")
    today = datetime.date.today()
    start, end = (today - datetime.timedelta(days=1)).isoformat(), (today + datetime.timedelta(days=1)).isoformat()
    made = subprocess.run([binary, "governance", "report", "--data-dir", data_dir, "--from", start, "--to", end,
                           "--out", out], capture_output=True, text=True)
    print("governance report:", made.stdout.strip().splitlines()[-1:] if made.stdout else made.stderr.strip())
    problems = []
    if made.returncode != 0:
        return [f"governance report: {made.returncode} {made.stderr}"]
    for suffix in ["json", "csv"]:
        path = os.path.join(out, f"governance-{start}-{end}.{suffix}")
        ok = subprocess.run([binary, "governance", "verify", "--data-dir", data_dir, path], capture_output=True)
        with open(path, "a") as f:
            f.write(" ")
        altered = subprocess.run([binary, "governance", "verify", "--data-dir", data_dir, path], capture_output=True)
        if ok.returncode != 0 or altered.returncode == 0:
            problems.append(f"governance verify {suffix}: intact {ok.returncode}, altered {altered.returncode}")
    return problems


def main(binary: str) -> int:
    data_dir = tempfile.mkdtemp(prefix="covenant-smoke-")
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([binary, "serve", "--demo", "--data-dir", data_dir, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "serving at" in line:
            break
    output = "".join(lines)
    url = re.search(r"serving at (http://\S+?)/", output)
    logins = re.findall(r"^\s+(.+?)\s{2,}(\S+)\s+password: (\S+)(?:\s+TOTP secret: (\S+))?", output, re.M)
    failures = []
    if not url or len(logins) < 7:
        print(output)
        server.kill()
        print("0 passed, 1 failed")
        return 1
    base = url.group(1)
    for role, login, password, secret in logins:
        body = {"login": login, "password": password}
        if secret:
            body["otp"] = totp(secret, time.time() + 30)  # the step after enrolment's
        status, reply = call(base, "POST", "/api/v1/sessions", body)
        if status != 201:
            failures.append(f"{role} {login}: sign-in {status} {reply}")
            continue
        status, me = call(base, "GET", "/api/v1/me", token=reply["token"])
        if status != 200 or "*" not in me.get("login", ""):
            failures.append(f"{role}: /me {status} {me}")
        if role.startswith("merchant owner"):
            status, staff = call(base, "GET", "/api/v1/merchant/staff", token=reply["token"])
            if status != 200:
                failures.append(f"merchant owner: staff list {status} {staff}")
    failures += check_audit_log(base, logins)
    failures += check_purchase(base, logins)
    backup = create_backup(binary, data_dir)
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=20)
        if code != 0:
            failures.append(f"exit code after SIGTERM: {code}")
    except subprocess.TimeoutExpired:
        server.kill()
        failures.append("did not stop within 20 s of SIGTERM")
    failures += check_logs(output + (server.stdout.read() or ""), logins)
    failures += check_backup(binary, data_dir, backup)
    failures += check_audit_cli(binary, data_dir)
    failures += check_ledger_cli(binary, data_dir)
    failures += check_governance_cli(binary, data_dir)
    if oct(os.stat(os.path.join(data_dir, "keys.json")).st_mode & 0o777) != oct(0o600):
        failures.append("key file is not mode 0600")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(logins) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/covenant"))
