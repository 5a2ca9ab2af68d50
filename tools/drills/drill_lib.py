"""Shared pieces of the reliability drills (leak_scan.py, backup_drill.py): start `covenant serve --demo` on a
temporary data directory and a free port, sign in once per demo login (TOTP for merchants and staff), call the
JSON API, pay on the payment sandbox's hosted page, ship, deliver and confirm. Python 3 standard library only."""
import base64, hashlib, hmac, json, os, re, signal, socket, struct, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request


def exit_on_sigterm():
    """SIGTERM (a CI timeout) becomes SystemExit, so `finally` blocks stop the servers the drill started."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def free_port() -> int:
    """A port nobody listens on now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def totp(secret_b32: str, at: float) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Reply:
    """An HTTP answer: status and the decoded JSON body (or the raw text when it is not JSON)."""

    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}

    def get(self, key, default=None):
        return self.body.get(key, default) if isinstance(self.body, dict) else default

    def __repr__(self):
        return f"{self.status} {str(self.body)[:300]}"


class Api:
    """A tiny JSON client for one base URL."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None, headers=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, method=method, data=data)
        request.add_header("Content-Type", content_type)
        if token:
            request.add_header("Authorization", "Bearer " + token)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, _decode(response.read()), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Reply(error.code, _decode(error.read()), dict(error.headers))


def _decode(data):
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return data.decode(errors="replace")[:500]


class Server:
    """`covenant serve --demo` on a temporary data directory, its stdout and stderr in a log file."""

    def __init__(self, binary, data_dir=None, env=None, root=None, log_name="server.log"):
        self.binary = os.path.abspath(binary)
        self.root = root or tempfile.mkdtemp(prefix="covenant-drill-")
        self.data_dir = data_dir or os.path.join(self.root, "data")
        self.log_path = os.path.join(self.root, log_name)
        self.port = free_port()
        # Every simulated user comes from 127.0.0.1, so the shield's per-address rate limits would throttle the
        # drill's workload as one client; its signatures, probing and stuffing detection stay on.
        self.env = dict(os.environ, COVENANT_SHIELD_RATE_LIMITS="0", **(env or {}))
        self.process = None

    def start(self, timeout=120):
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        started = time.time()
        self.process = subprocess.Popen(
            [self.binary, "serve", "--demo", "--data-dir", self.data_dir, "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        while time.time() - started < timeout:
            text = self.log()
            found = re.search(r"serving at (http://\S+?)/", text)
            if found:
                self.base = found.group(1)
                self.api = Api(self.base)
                self.startup_seconds = time.time() - started
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"covenant serve exited with {self.process.returncode}:\n{text[-2000:]}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("covenant serve did not print 'serving at' in time")

    def log(self) -> str:
        with open(self.log_path, "rb") as file:
            return file.read().decode(errors="replace")

    def logins(self):
        with open(os.path.join(self.data_dir, "demo-logins.json")) as file:
            return json.load(file)

    def stop(self, timeout=30) -> int:
        """SIGTERM (the platform finishes in-flight requests), then SIGKILL if it hangs. Returns the exit code."""
        if not self.process or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9

    def cli(self, *args, data_dir=None):
        """Runs a `covenant` subcommand on the data directory; returns (exit code, output, seconds)."""
        started = time.time()
        run = subprocess.run([self.binary, *args, "--data-dir", data_dir or self.data_dir],
                             capture_output=True, text=True, env=self.env)
        return run.returncode, (run.stdout + run.stderr).strip(), time.time() - started


class Sessions:
    """Signs in every demo login once and keeps the token (a TOTP step may be used only once per account)."""

    def __init__(self, server):
        self.server, self.api, self.tokens = server, server.api, {}
        self.logins = server.logins()

    def login_for(self, role, index=0):
        return [entry for entry in self.logins if entry["role"].startswith(role)][index]

    def token(self, role, index=0):
        key = (role, index)
        if key not in self.tokens:
            entry = self.login_for(role, index)
            self.tokens[key] = self.sign_in(entry["login"], entry["password"], entry.get("totpSecret"))
        return self.tokens[key]

    def sign_in(self, login, password, secret=None, user_agent="covenant-drill"):
        body = {"login": login, "password": password}
        for attempt in range(2):
            if secret:
                # The demo enrolment used the current step; the next one is fresh (a reused step is refused).
                body["otp"] = totp(secret, time.time() + 30)
            reply = self.api.call("POST", "/api/v1/sessions", body, headers={"User-Agent": user_agent})
            if reply.status != 401 or not secret or attempt:
                break
            time.sleep(30.5 - time.time() % 30)  # that step was used already: wait for a new one
        if reply.status != 201:
            raise RuntimeError(f"sign-in {login}: {reply}")
        return reply.body["token"]


_keys = iter(range(1, 10 ** 9))


def idempotency_key(tag="drill"):
    return f"{tag}-{os.getpid()}-{time.time_ns()}-{next(_keys)}"


class Shop:
    """The shop workload over the API, raising on anything unexpected so a drill never measures a broken run."""

    def __init__(self, server, sessions):
        self.server, self.api, self.sessions = server, server.api, sessions

    def products(self):
        reply = self.api.call("GET", "/api/v1/products?limit=100")
        return reply.body["products"]

    def pay(self, token, checkout, card="4242424242424242"):
        """On the payment institution's hosted page, as the buyer would; then waits for the signed callback."""
        pay_url = checkout["payment"]["payURL"]
        form = urllib.parse.urlencode({"card": card, "expiry": "12/30", "cvc": "123"}).encode()
        with urllib.request.urlopen(urllib.request.Request(pay_url, data=form, method="POST"), timeout=30) as page:
            if "Payment complete" not in page.read().decode():
                raise RuntimeError("the hosted page did not complete the payment")
        for _ in range(200):
            payment = self.api.call("GET", f"/api/v1/checkouts/{checkout['id']}/payment", token=token)
            if payment.get("status") == "succeeded":
                return payment.body
            time.sleep(0.05)
        raise RuntimeError(f"the payment callback never arrived: {payment}")

    def ship(self, merchant_token, order_id, tracking="SF1234567890"):
        return self.expect(self.api.call("POST", f"/api/v1/merchant/orders/{order_id}/ship",
                                         {"carrier": "顺丰速运", "trackingNumber": tracking}, merchant_token),
                           200, "ship")

    def deliver(self, merchant_token, order_id):
        return self.expect(self.api.call("POST", f"/api/v1/merchant/orders/{order_id}/delivered", None,
                                         merchant_token), 200, "delivered")

    def confirm(self, token, order_id):
        return self.expect(self.api.call("POST", f"/api/v1/orders/{order_id}/confirm-receipt", None, token,
                                         headers={"Idempotency-Key": idempotency_key("confirm")}), 200, "confirm")

    @staticmethod
    def expect(reply, status, what):
        if reply.status != status:
            raise RuntimeError(f"{what}: expected {status}, got {reply}")
        return reply


def social_credit_code(first17: str) -> str:
    """GB 32100 check character, so the merchant licence passes without manual review."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    return first17 + alphabet[(31 - total % 31) % 31]
