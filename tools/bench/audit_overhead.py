#!/usr/bin/env python3
"""Audit's share of real requests (issue 3: "audit adds less than 10% to the latency of the request it records").

Starts `covenant serve --demo` on a fresh data directory, sends real HTTP requests one at a time, and reads the
server's own Prometheus figures before and after each phase: the request duration per route
(`http_server_request_duration`) and the time spent writing audit events (`covenant_audit_write_duration`).
Audit's overhead on a route = audit time / (request time - audit time).

Usage: tools/bench/audit_overhead.py [BINARY] [--requests N] [--no-wait]     (standard library only)
"""
import os, re, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "smoke"))
from demo_smoke import call  # the same small JSON client the smoke test uses

def metrics(base):
    """(request seconds, count) by route, and (audit seconds, count)."""
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    routes, audit = {}, [0.0, 0]
    for line in text.splitlines():
        match = re.match(r'http_server_request_duration_(sum|count)\{http_route="([^"]+)",http_request_method="(\w+)"[^}]*\} (\S+)', line)
        if match:
            kind, route, method, value = match.groups()
            entry = routes.setdefault(f"{method} {route}", [0.0, 0])
            entry[0 if kind == "sum" else 1] += float(value)
        match = re.match(r"covenant_audit_write_duration_(sum|count)(?:\{\})? (\S+)", line)
        if match:
            audit[0 if match.group(1) == "sum" else 1] += float(match.group(2))
    return routes, audit

def phase(base, name, route, send, n):
    before_routes, before_audit = metrics(base)
    for i in range(n):
        send(i)
    after_routes, after_audit = metrics(base)
    request_s = after_routes[route][0] - before_routes.get(route, [0.0, 0])[0]
    count = after_routes[route][1] - before_routes.get(route, [0.0, 0])[1]
    audit_s = after_audit[0] - before_audit[0]
    audit_n = after_audit[1] - before_audit[1]
    share = audit_s / (request_s - audit_s) * 100
    print(f"{name:<34} {count:>5} requests  {request_s / count * 1000:8.3f} ms each  "
          f"audit {audit_s / max(audit_n, 1) * 1000:6.3f} ms x {audit_n / count:.1f}  -> audit adds {share:5.1f}%")
    return share

def main():
    args, n = [a for a in sys.argv[1:] if a != "--no-wait"], 500
    if "--requests" in args:
        at = args.index("--requests")
        n = int(args[at + 1])
        del args[at:at + 2]
    binary = args[0] if args else ".build/release/covenant"
    data_dir = tempfile.mkdtemp(prefix="covenant-bench-")
    port = 19000 + os.getpid() % 1000
    # One client sends every request: no rate limits (the shield's signatures still inspect each one).
    env = dict(os.environ, COVENANT_SHIELD_RATE_LIMITS="0")
    server = subprocess.Popen([binary, "serve", "--demo", "--data-dir", data_dir, "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        output = ""
        while "serving at" not in output:
            line = server.stdout.readline()
            if not line:
                sys.exit("server did not start:\n" + output)
            output += line
        base = re.search(r"serving at (http://\S+?)/", output).group(1)
        consumer = re.search(r"^\s+consumer\s+(\S+)\s+password: (\S+)", output, re.M)
        status, session = call(base, "POST", "/api/v1/sessions", {"login": consumer.group(1), "password": consumer.group(2)})
        assert status == 201, session
        token = session["token"]
        # Steady state: data keys older than a minute are cached for audit writes (new keys never are, in case
        # the transaction that made them rolls back), so wait until the demo accounts' keys have settled.
        time.sleep(0 if "--no-wait" in sys.argv else 65)
        print(f"covenant at {base}; {os.cpu_count()} cores; SQLite WAL, synchronous=FULL; requests sent one at a time")
        shares = [
            phase(base, "reveal own data (audited read)", "POST /api/v1/me/reveal",
                  lambda i: call(base, "POST", "/api/v1/me/reveal", {"fields": ["login", "displayName"]}, token), n),
            phase(base, "registration (account.register)", "POST /api/v1/accounts",
                  lambda i: call(base, "POST", "/api/v1/accounts",
                                 {"kind": "consumer", "login": f"1390000{i:04d}", "password": "correct horse battery 42",
                                  "displayName": "测试"}), max(n // 10, 20)),
        ]
        print(f"largest share: {max(shares):.1f}% (target < 10%)")
    finally:
        server.terminate()
        server.wait(timeout=30)

if __name__ == "__main__":
    main()
