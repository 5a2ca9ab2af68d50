"""API fuzzing drill (issue 11): schemathesis against Covenant's OpenAPI document, every operation, as every role.

    python3 tools/drills/fuzz.py BINARY [--quick] [--max-examples N] [--roles a,b] [--keep]

Starts `covenant serve --demo` on a temporary data directory and a free port (loopback allow-listed in the shield,
rate limits off, an empty risk rule set), signs in once per role (TOTP for merchants and staff) and runs
`st run` against `/api/v1/openapi.yaml` with that role's bearer token. Checks: not_a_server_error,
status_code_conformance, content_type_conformance, response_schema_conformance. Pass: no failure in any role.

schemathesis is installed from PyPI into tools/drills/.venv-fuzz (created on first use, not in git)."""
import argparse, glob, json, os, re, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drill_lib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv-fuzz")
PACKAGES = ["schemathesis==4.32.5", "sqlmap==1.10.10", "cryptography"]  # the versions the figures in docs/drills.md were taken with
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
NO_RULES = {"version": "fuzz-drill-no-rules", "thresholds": {"review": 1000, "challenge": 2000, "block": 3000},
            "rules": []}
# (label, role prefix in demo-logins.json, index); None = anonymous
ROLES = [("anonymous", None, 0), ("consumer", "consumer", 0), ("merchant_owner", "merchant owner", 0),
         ("merchant_staff", "merchant staff", 0), ("admin", "admin", 0), ("support", "support", 0),
         ("risk_analyst", "risk_analyst", 0), ("arbitrator", "arbitrator", 0),
         ("compliance_officer", "compliance_officer", 0), ("security_officer", "security_officer", 0)]
# Operations that end the caller's own session or account: fuzzed for each role too, but in a second pass after
# everything else, so a success (sign-out, erasure, a new password) cannot spoil the rest of that role's run.
LAST = ["deleteCurrentSession", "eraseMyAccount", "changePassword", "revokeMySession", "disableTwoFactor"]


def ensure_venv():
    st = os.path.join(VENV, "bin", "st")
    if not os.path.exists(st):
        print(f"creating {VENV} (pip install {' '.join(PACKAGES)})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", *PACKAGES], check=True)
    return st


def st_version(st):
    out = subprocess.run([st, "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).strip()


def run_st(st, base, token, label, pass_name, args, workdir):
    report_dir = os.path.join(workdir, "reports", f"{label}-{pass_name}")
    command = [st, "run", base + "/api/v1/openapi.yaml", "--url", base, "-c", CHECKS,
               "--phases", args.phases, "-n", str(args.max_examples), "--seed", str(args.seed), "-w", str(args.workers), "--request-timeout", "30",
               "--report", "json", "--report-dir", report_dir, "--continue-on-failure",
               "--warnings", "off"]
    if args.quick:
        command += ["--no-shrink"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if pass_name == "main":
        for operation in LAST:
            command += ["--exclude-operation-id", operation]
    else:
        for operation in LAST:
            command += ["--include-operation-id", operation]
    log_path = os.path.join(workdir, f"st-{label}-{pass_name}.log")
    started = time.time()
    with open(log_path, "w") as log:
        # cwd: st keeps a `.schemathesis/` replay cache in its working directory; keep it out of the checkout.
        process = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                                 env=dict(os.environ, NO_COLOR="1", SCHEMATHESIS_TELEMETRY="false"))
    seconds = time.time() - started
    reports = sorted(glob.glob(os.path.join(report_dir, "*.json")))
    if not reports:
        with open(log_path) as log:
            raise RuntimeError(f"st produced no report for {label}/{pass_name} (exit {process.returncode}):\n"
                               + log.read()[-3000:])
    with open(reports[-1]) as file:
        report = json.load(file)
    return report, seconds, log_path


def failures_in_log(log_path):
    """The FAILURES section of an `st run` log as one dict per test case: operation, checks, received and documented
    statuses, the response body and the curl command that reproduces it (the JSON report only aggregates)."""
    with open(log_path, errors="replace") as file:
        lines = file.read().splitlines()
    cases, operation, case, section = [], None, None, False
    for line in lines:
        stripped = line.strip()
        if re.match(r"^=+ FAILURES =+$", stripped):
            section = True
            continue
        if not section:
            continue
        if re.match(r"^=+ SUMMARY =+$", stripped) or stripped.startswith("Warnings:"):
            break
        heading = re.match(r"^_{3,} (.+?) _{3,}$", stripped)
        if heading:
            operation = heading.group(1)
            continue
        if re.match(r"^\d+\. Test Case ID:", stripped):
            case = {"operation": operation, "checks": [], "received": "", "documented": "", "body": "", "curl": ""}
            cases.append(case)
        elif case is None:
            continue
        elif stripped.startswith("- ST") or stripped.startswith("- "):
            case["checks"].append(stripped[2:])
        elif stripped.startswith("Received:"):
            case["received"] = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("Documented:"):
            case["documented"] = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("`") and not case["body"]:
            case["body"] = stripped.strip("`")[:400]
        elif stripped.startswith("[") and "]" in stripped[:6] and not case["received"]:
            case["received"] = stripped[1:4]
        elif stripped.startswith("curl ") and not case["curl"]:
            case["curl"] = stripped if len(stripped) < 700 else stripped[:700] + "…"
    return cases


def errors_in_log(log_path):
    """Schemathesis's own errors (a crash inside the generator, an unreachable operation): title and first line."""
    with open(log_path, errors="replace") as file:
        text = file.read()
    found = []
    section = re.search(r"^=+ ERRORS =+$(.*?)(^=+ [A-Z]+ =+$|\Z)", text, re.M | re.S)
    for match in re.finditer(r"^_{3,} (.+?) _{3,}\n(.+?)\n\n(.+?)\n", section.group(1) if section else "", re.M):
        found.append(f"{match.group(1)}: {match.group(2)}: {match.group(3)[:200]}")
    return found


def main():
    drill_lib.exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--quick", action="store_true", help="examples + fuzzing phases, 3 cases per operation")
    parser.add_argument("--max-examples", type=int)
    parser.add_argument("--phases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--roles", help="comma-separated labels (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (kept anyway on failure)")
    args = parser.parse_args()
    args.max_examples = args.max_examples or (3 if args.quick else 25)
    args.phases = args.phases or ("examples,fuzzing" if args.quick else "examples,coverage,fuzzing")
    roles = [r for r in ROLES if not args.roles or r[0] in args.roles.split(",")]

    st = ensure_venv()
    workdir = tempfile.mkdtemp(prefix="covenant-fuzz-")
    rules = os.path.join(workdir, "no-rules.json")
    with open(rules, "w") as file:
        json.dump(NO_RULES, file)
    # Loopback is exempt from the whole shield (signatures, rate limits, probing and stuffing bans): otherwise the
    # fuzzer's own strings get the address banned within seconds and everything after that is a 403.
    env = {"COVENANT_SHIELD_ALLOW": "127.0.0.1", "COVENANT_RISK_RULES": rules,
           "COVENANT_SESSION_IDLE_SECONDS": "86400"}
    server = drill_lib.Server(args.binary, root=workdir, env=env)
    failures, tool_errors, ok = [], [], False
    totals = {"cases": 0, "failed_cases": 0, "errors": 0, "seconds": 0.0}
    started = time.time()
    try:
        server.start()
        sessions = drill_lib.Sessions(server)
        # Every token first: the fuzzer's sign-in attempts soon trip the per-address sign-in throttle (429).
        tokens = {label: sessions.token(prefix, index) if prefix else None for label, prefix, index in roles}
        print(f"{st_version(st)}; server {server.base}; mode {'quick' if args.quick else 'full'}: phases "
              f"{args.phases}, max {args.max_examples} examples per operation, checks {CHECKS}", flush=True)
        print(f"{'role':20} {'pass':5} {'ops':>4} {'cases':>6} {'failed':>6} {'errors':>6} {'seconds':>8}", flush=True)
        for label, prefix, index in roles:
            token = tokens[label]
            for pass_name in ("main", "last"):
                report, seconds, log_path = run_st(st, server.base, token, label, pass_name, args, workdir)
                cases = report["test_cases"]
                totals["cases"] += cases["generated"]
                totals["failed_cases"] += cases["with_failures"]
                totals["errors"] += len(report.get("errors") or [])
                totals["seconds"] += seconds
                print(f"{label:20} {pass_name:5} {report['operations']['tested']:>4} {cases['generated']:>6} "
                      f"{cases['with_failures']:>6} {len(report.get('errors') or []):>6} {seconds:>8.1f}", flush=True)
                failures += [(label, case) for case in failures_in_log(log_path)]
                if cases["with_failures"] and not failures_in_log(log_path):
                    failures.append((label, {"operation": "?", "checks": [f"see {log_path}"], "received": "",
                                             "documented": "", "body": "", "curl": ""}))
                tool_errors += [(label, error) for error in errors_in_log(log_path)]
        print(f"total: {totals['cases']} test cases in {totals['seconds']:.0f} s of fuzzing "
              f"({time.time() - started:.0f} s wall), {totals['failed_cases']} with failures, "
              f"{totals['errors']} errors", flush=True)
        statuses = {}
        for label, case in failures:
            statuses[case["received"]] = statuses.get(case["received"], 0) + 1
        print(f"failing test cases by received status: {statuses or 'none'}; distinct operations: "
              f"{len({case['operation'] for _, case in failures})}", flush=True)
        for label, case in failures:
            print(f"FAILURE [{label}] {case['operation']}: {'; '.join(case['checks'])} | received {case['received']}"
                  f" (documented {case['documented'] or '-'}) | {case['body']}\n    {case['curl']}", flush=True)
        for label, error in tool_errors:
            print(f"TOOL ERROR [{label}] {error}", flush=True)
        ok = not failures
        print("PASS" if ok else f"FAIL: {len(failures)} failures (logs and reports in {workdir})", flush=True)
    finally:
        code = server.stop()
        if code not in (0, None):
            print(f"server exited with {code}", flush=True)
        if ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
