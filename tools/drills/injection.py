"""Injection drill (issue 11): sqlmap on every parameter of every operation in Covenant's OpenAPI document.

    python3 tools/drills/injection.py BINARY [--quick] [--level N] [--risk N] [--workers N] [--keep]

Starts `covenant serve --demo` (loopback allow-listed in the shield, so sqlmap reaches the application rather than
being stopped by the attack signatures; rate limits off; an empty risk rule set), signs in every demo role, and
builds one sqlmap target per operation from the OpenAPI document: every path parameter, query parameter and JSON
body field (openapi_fields.py) is marked with sqlmap's `*` injection marker. Each target is sent with the first
role whose token the operation accepts (not 401/403). Pass: no parameter reported injectable.

`--quick`: one operation per kind (query, path, JSON body string) for a few operations, `--level 1 --risk 1`,
boolean/error/union techniques. Full: every operation, `--level 2 --risk 1`, all techniques.
sqlmap comes from PyPI in tools/drills/.venv-fuzz (shared with fuzz.py)."""
import argparse, concurrent.futures, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drill_lib, openapi_fields  # noqa: E402
from fuzz import ensure_venv, VENV, NO_RULES, ROLES  # noqa: E402

# Operations that end the caller's session or account, or its second factor: injecting into them would sign the
# drill out; they are listed as skipped.
SKIP = {"deleteCurrentSession", "eraseMyAccount", "changePassword", "disableTwoFactor"}
# Sign-in and registration are throttled per address and lock a login after failures. For them sqlmap's
# xforwardedfor tamper sends every request from a new random address (the server trusts X-Forwarded-For here)
# and the lockout threshold is out of reach, so the queries behind them are tested rather than the throttle.
FRESH_ADDRESS = {"createSession", "registerAccount"}
QUICK = ["listProducts", "getProduct", "searchAuditEvents", "getOrder", "reportViolation", "addMerchantStaff",
         "createSession"]
MARK = "*"
INT = "__int_marker__"  # a number field: becomes the bare text 1* in the JSON sent


def body_text(body, marker=MARK):
    return json.dumps(body, ensure_ascii=False).replace(f'"{INT}"', "1" + marker)


def int_fields(value, prefix=""):
    if value == INT:
        return [prefix]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in int_fields(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list):
        return [f for v in value for f in int_fields(v, prefix + "[0]")]
    return []


def resolve(schema, schemas):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema if isinstance(schema, dict) else {}


def sample(schema, schemas, depth=0):
    """A plausible value for a schema, every string carrying the injection marker."""
    schema = resolve(schema, schemas)
    kind = schema.get("type")
    if depth > 4:
        return None
    if kind == "string":
        enum = schema.get("enum")
        return (enum[0] if enum else "test") + MARK
    if kind == "integer" or kind == "number":
        return INT
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(schema.get("items", {}), schemas, depth + 1)]
    return {name: sample(inner, schemas, depth + 1) for name, inner in (schema.get("properties") or {}).items()}


def targets(document):
    schemas = document.get("components", {}).get("schemas", {})
    shared = document.get("components", {}).get("parameters", {})
    found, skipped = [], []
    body_ops = {(m, p): fields for m, p, _, fields in openapi_fields.json_operations(document)}
    for path, methods in document.get("paths", {}).items():
        common = (methods or {}).get("parameters") or []
        for method, operation in (methods or {}).items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            op_id = operation.get("operationId") or f"{method} {path}"
            if op_id in SKIP:
                skipped.append(op_id)
                continue
            params = [resolve(p, shared) if "$ref" in p else p for p in common + (operation.get("parameters") or [])]
            url_path, query, points = path, [], []
            for param in params:
                name, where = param.get("name"), param.get("in")
                if where == "path":
                    url_path = url_path.replace("{" + name + "}", "1" + MARK)
                    points.append(f"path:{name}")
                elif where == "query":
                    value = resolve(param.get("schema", {}), schemas)
                    base = (value.get("enum") or ["1" if value.get("type") in ("integer", "number") else "test"])[0]
                    query.append(f"{name}={base}{MARK}")
                    points.append(f"query:{name}")
            body = None
            fields = body_ops.get((method.upper(), path))
            if fields is not None:
                schema = (((operation.get("requestBody") or {}).get("content") or {})
                          .get("application/json") or {}).get("schema")
                body = sample(schema, schemas)
                points += [f"body:{field}" for field, _ in fields] + [f"body:{f}" for f in int_fields(body)]
            if not points:
                skipped.append(op_id + " (no parameters)")
                continue
            provider = any("providerSignature" in entry for entry in operation.get("security") or [])
            found.append({"id": op_id, "public": operation.get("security") == [], "provider": provider,
                          "method": method.upper(),
                          "path": url_path,
                          "query": "&".join(query), "body": body, "points": points})
    return found, skipped


# Provider operations take a provider credential and an Ed25519 signature over each request (openapi.yaml,
# `providerSignature`). The drill registers and assesses one provider of each kind those operations serve, issues
# each a credential for a key it generates, and has sqlmap sign every request with a preprocess script, so
# sqlmap's payloads reach the queries behind the signature check instead of its 401.
PROVIDER_KINDS = {"/api/v1/provider/shipments": ("logistics", ["waybills:read", "shipments:update"]),
                  "/api/v1/provider/orders": ("customer_service", ["orders:read", "personal:reveal"])}
SIGNER = """
import base64, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("{private}"))
def preprocess(req):
    path = req.selector.split("?", 1)[0]
    stamp = str(int(time.time()))
    body = req.data or b""
    message = ("covenant-provider-v1\\n" + req.get_method() + "\\n" + path + "\\n" + stamp + "\\n").encode() + body
    req.add_header("X-covenant-timestamp", stamp)
    req.add_header("X-covenant-signature", base64.b64encode(KEY.sign(message)).decode())
"""


def provider_signers(server, staff_tokens, workdir):
    """{path prefix: (credential token, preprocess script)} for each provider kind."""
    python = os.path.join(VENV, "bin", "python")
    if subprocess.run([python, "-c", "import cryptography"], capture_output=True).returncode != 0:
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", "cryptography"], check=True)
    now = int(time.time() * 1000)
    signers = {}
    directory = os.path.join(workdir, "signers")  # sqlmap loads preprocess scripts from a package
    os.makedirs(directory, exist_ok=True)
    open(os.path.join(directory, "__init__.py"), "w").close()
    for n, (prefix, (kind, scopes)) in enumerate(PROVIDER_KINDS.items()):
        keys = subprocess.run([python, "-c", (
            "import base64; from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey; "
            "from cryptography.hazmat.primitives import serialization as s; k = Ed25519PrivateKey.generate(); "
            "print(k.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption()).hex()); "
            "print(base64.b64encode(k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)).decode())")],
            capture_output=True, text=True, check=True).stdout.split()
        licence = "91330106MA2K" + "%05d" % (10_000 + n)
        for token in staff_tokens:
            created = server.api.call("POST", "/api/v1/staff/providers", {
                "kind": kind, "legalName": f"演练服务商{n}有限公司", "licenceCode": drill_lib.social_credit_code(licence),
                "qualification": "许可证", "contractRef": f"CT-INJ-{n}", "dpaRef": f"DPA-INJ-{n}",
                "contacts": [{"name": "演练联系人", "phone": "13800138000", "role": "security"}]}, token=token)
            if created.status != 201:
                continue
            provider = created.body["id"]
            server.api.call("POST", f"/api/v1/staff/providers/{provider}/assessments", {
                "assessedOn": now - 86_400_000, "assessor": "测评机构", "questionnaire": {"encryption": "yes"},
                "findings": "无", "result": "pass", "nextReviewAt": now + 300 * 86_400_000}, token=token)
            issued = server.api.call("POST", f"/api/v1/staff/providers/{provider}/credentials", {
                "scopes": scopes, "expiresAt": now + 30 * 86_400_000, "publicKey": keys[1]}, token=token)
            if issued.status != 201:
                raise RuntimeError(f"provider credential: {issued}")
            script = os.path.join(directory, f"sign_{kind}.py")
            with open(script, "w") as file:
                file.write(SIGNER.replace("{private}", keys[0]))
            signers[prefix] = (issued.body["token"], script)
            break
        else:
            raise RuntimeError(f"no staff role could register a {kind} provider")
    return signers


def pick_token(server, target, tokens):
    """The first role whose request is not refused (401/403), so sqlmap reaches the handler."""
    url = target["path"].replace(MARK, "") + ("?" + target["query"].replace(MARK, "") if target["query"] else "")
    body = body_text(target["body"], "").replace(MARK, "").encode() if target["body"] is not None else None
    if target["public"]:  # no token; and no sign-in attempt wasted on the per-address sign-in throttle
        tokens = {"anonymous": None}
    last = None
    for label, token in tokens.items():
        reply = server.api.call(target["method"], url, raw=body, token=token,
                                headers={"Idempotency-Key": str(uuid.uuid4())})
        last = (label, reply.status)
        if reply.status not in (401, 403):
            return label, token, reply.status
    return last[0], tokens[last[0]], last[1]


def run_sqlmap(sqlmap, server, target, label, token, args, workdir, signer=None):
    url = server.base + target["path"] + ("?" + target["query"] if target["query"] else "")
    out_dir = os.path.join(workdir, "sqlmap", target["id"])
    command = [sqlmap, "-u", url, "--method", target["method"], "--batch", "--flush-session",
               "--disable-coloring", "--output-dir", out_dir, "--level", str(args.level), "--risk", str(args.risk),
               "--technique", args.technique, "--time-sec", "2", "--timeout", "15", "--retries", "1",
               "--threads", "1", "--ignore-code", "401", "--answers", "custom injection=Y,JSON data=Y,process it=Y,keep testing=N,make sure=N"]
    headers = [f"Idempotency-Key: drill-{uuid.uuid4()}"] + ([f"Authorization: Bearer {token}"] if token else [])
    if target["body"] is not None:
        command += ["--data", body_text(target["body"])]
        headers.append("Content-Type: application/json")
    command += ["--headers", "\n".join(headers)]
    if target["id"] in FRESH_ADDRESS:
        command += ["--tamper", "xforwardedfor"]
    if signer:
        command += ["--preprocess", signer]
    started = time.time()
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=args.target_timeout)
        output, timed_out = run.stdout + run.stderr, False
    except subprocess.TimeoutExpired as expired:
        output, timed_out = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) \
            else (expired.stdout or ""), True
    seconds = time.time() - started
    with open(os.path.join(workdir, f"sqlmap-{target['id']}.log"), "w") as log:
        log.write(" ".join(command[:3]) + "\n" + output)
    # sqlmap's verdict: a confirmed injection point is listed as "identified the following injection point(s)".
    # A candidate ("appears to be … injectable") that its own false-positive check rejects is not one: under a
    # bcrypt check of ~0.3 s a time-based test can trip by chance (seen once on createSession's password).
    injectable = bool(re.search(r"identified the following injection point|is vulnerable", output))
    candidates = len(re.findall(r"appears to be '.*' injectable", output))
    rejected = len(re.findall(r"false positive or unexploitable injection point detected", output))
    if candidates > rejected:
        injectable = True
    requests = sum(int(n) for n in re.findall(r"with (\d+) HTTP\(s\) requests", output))
    tested = len(re.findall(r"testing '", output))
    return {"injectable": injectable, "timed_out": timed_out, "seconds": seconds, "requests": requests,
            "tests": tested, "rejected_candidates": rejected, "not_injectable_lines": len(re.findall(r"does not seem to be injectable", output)),
            "tail": output[-600:]}


def main():
    drill_lib.exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--level", type=int)
    parser.add_argument("--risk", type=int, default=1)
    parser.add_argument("--technique")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--target-timeout", type=int, default=900, help="seconds per operation")
    parser.add_argument("--only", help="comma-separated operationIds")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.level = args.level or (1 if args.quick else 2)
    args.technique = args.technique or ("BEU" if args.quick else "BEUSTQ")

    ensure_venv()
    sqlmap = os.path.join(VENV, "bin", "sqlmap")
    workdir = tempfile.mkdtemp(prefix="covenant-injection-")
    rules = os.path.join(workdir, "no-rules.json")
    with open(rules, "w") as file:
        json.dump(NO_RULES, file)
    server = drill_lib.Server(args.binary, root=workdir, env={
        "COVENANT_SHIELD_ALLOW": "0.0.0.0/0", "COVENANT_RISK_RULES": rules, "COVENANT_SESSION_IDLE_SECONDS": "86400",
        "COVENANT_TRUST_FORWARDED_FOR": "1", "COVENANT_LOCKOUT_THRESHOLD": "1000000"})
    ok, started = False, time.time()
    try:
        server.start()
        sessions = drill_lib.Sessions(server)
        tokens = {label: sessions.token(prefix, index) if prefix else None for label, prefix, index in ROLES}
        # Real-name verification needs the separate consent to process an ID number (PIPL Art. 29); without it
        # startVerification and verifyMerchant answer 403 before any parameter reaches a query.
        notice = server.api.call("GET", "/api/v1/privacy-notice").body["version"]
        for label in ("consumer", "merchant_owner"):
            server.api.call("POST", "/api/v1/me/consents", {"purpose": "sensitive_identity", "noticeVersion": notice},
                            token=tokens[label])
        with urllib.request.urlopen(server.base + "/api/v1/openapi.yaml", timeout=30) as response:
            document = openapi_fields.parse_yaml(response.read().decode())
        found, skipped = targets(document)
        only = args.only.split(",") if args.only else (QUICK if args.quick else None)
        if only:
            found = [t for t in found if t["id"] in only]
        version = subprocess.run([sqlmap, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"sqlmap {version}; server {server.base}; {len(found)} operations, "
              f"{sum(len(t['points']) for t in found)} parameters; level {args.level}, risk {args.risk}, "
              f"techniques {args.technique}, {args.workers} in parallel", flush=True)
        if skipped and not only:
            print(f"skipped: {', '.join(skipped)}", flush=True)
        signers = {}
        if any(t["provider"] for t in found):
            signers = provider_signers(server, [tokens["compliance_officer"], tokens["admin"]], workdir)
        chosen = {}
        for t in found:
            signer = next((v for prefix, v in signers.items() if t["path"].startswith(prefix)), None)
            chosen[t["id"]] = ("provider (signed)", signer[0], "signed", signer[1]) if signer \
                else pick_token(server, t, tokens) + (None,)

        def one(target):
            label, token, status, signer = chosen[target["id"]]
            return target, label, status, run_sqlmap(sqlmap, server, target, label, token, args, workdir, signer)

        results = []
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            for target, label, status, result in pool.map(one, found):
                results.append((target, label, status, result))
                flag = "INJECTABLE" if result["injectable"] else ("TIMEOUT" if result["timed_out"] else "ok")
                print(f"{flag:10} {target['id']:34} as {label:18} (baseline {status}) "
                      f"{len(target['points']):>2} params {result['tests']:>4} tests {result['seconds']:6.1f} s  "
                      f"{', '.join(target['points'])}", flush=True)
        injectable = [r for r in results if r[3]["injectable"]]
        timeouts = [r for r in results if r[3]["timed_out"]]
        untested = [r for r in results if not r[3]["tests"]]
        for target, label, status, result in untested:
            print(f"UNTESTED {target['id']}: sqlmap ran no test\n{result['tail']}", flush=True)
        refused = [r for r in results if r[2] in (401, 403)]
        print(f"total: {len(results)} operations, {sum(len(r[0]['points']) for r in results)} parameters, "
              f"{sum(r[3]['tests'] for r in results)} sqlmap tests, {len(injectable)} injectable "
              f"({sum(r[3]['rejected_candidates'] for r in results)} candidates rejected by sqlmap as false positives), "
              f"{len(timeouts)} timed out, {len(untested)} untested, {len(refused)} only reachable as refused (401/403), "
              f"{time.time() - started:.0f} s wall", flush=True)
        for target, label, status, result in injectable:
            print(f"INJECTABLE {target['method']} {target['path']} as {label}:\n{result['tail']}", flush=True)
        ok = not injectable and not timeouts and not untested
        print("PASS" if ok else f"FAIL (logs in {workdir})", flush=True)
    finally:
        server.stop()
        if ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
