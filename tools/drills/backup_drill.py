#!/usr/bin/env python3
"""Backup drill (issue 11): with a workload loaded (orders, payments, reviews, disputes, refunds, incidents...),
`covenant backup create` → `covenant backup restore` into a fresh data directory → every table's rows identical
to the original (row counts and a hash of all rows), `covenant ledger check` and `covenant audit verify` pass
on the restored copy, and the restored copy serves. Reports the restore time and the database size.

Two backups are taken: one online while the platform serves (the scheduled kind) and one after a clean stop,
which is compared row for row (an online snapshot is consistent, but the platform keeps writing after it).

Usage: backup_drill.py PATH/TO/covenant [--quick] [--keep]
Exit 0 when every check passes; 1 otherwise. Standard library only."""
import argparse, hashlib, json, os, shutil, sqlite3, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drill_lib import Server, exit_on_sigterm  # noqa: E402
from leak_scan import PASSWORD, Canaries, Workload  # noqa: E402  (the same realistic workload)


class Checks:
    """Named pass/fail results, printed as they happen."""

    def __init__(self, quiet=False):
        self.failed, self.quiet = [], quiet

    def check(self, ok, what, detail=""):
        if not self.quiet:
            print(f"  {'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}")
        if not ok:
            self.failed.append(what)
        return ok


def table_digests(database):
    """{table: (rows, sha256 of all rows sorted, sha256 in rowid order)} of every table, and the schema's hash.
    Rows are sorted by value so the content hash does not depend on rowids (VACUUM INTO may renumber them);
    the rowid-order hash shows whether they were kept."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        schema = hashlib.sha256("\n".join(
            sql for (sql,) in connection.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")).encode()).hexdigest()
        digests = {}
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            rows = [encode_row(row) for row in connection.execute(f'SELECT * FROM "{table}"')]
            ordered = hashlib.sha256(b"\n".join(rows)).hexdigest()
            digests[table] = (len(rows), hashlib.sha256(b"\n".join(sorted(rows))).hexdigest(), ordered)
        return digests, schema
    finally:
        connection.close()


def encode_row(row):
    """A row as bytes that keep types apart (1, 1.0, '1' and x'31' all differ)."""
    return json.dumps([[type(v).__name__, v.hex() if isinstance(v, bytes) else v] for v in row],
                      ensure_ascii=False).encode()


def explain_difference(original, restored, table):
    """Which columns differ, matching rows by primary key (or whole-row content): '1 row: destroyed_at'."""
    def rows(database):
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            info = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
            key = [i for i, column in enumerate(info) if column[5]] or list(range(len(info)))
            data = {tuple(row[i] for i in key): row for row in connection.execute(f'SELECT * FROM "{table}"')}
            return [column[1] for column in info], data
        finally:
            connection.close()
    names, before = rows(original)
    _, after = rows(restored)
    changed = {}
    for key in before.keys() & after.keys():
        for name, old, new in zip(names, before[key], after[key]):
            if old != new:
                changed[name] = changed.get(name, 0) + 1
    parts = [f"{count} rows differ in {name}" for name, count in changed.items()]
    if before.keys() - after.keys():
        parts.append(f"{len(before.keys() - after.keys())} rows missing")
    if after.keys() - before.keys():
        parts.append(f"{len(after.keys() - before.keys())} rows added")
    return f"{table}: {', '.join(parts) or 'same rows, different order'}"


def database_size(database):
    """File bytes (with -wal) and the pages in use."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        pages, size, free = (connection.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "page_size", "freelist_count"))
    finally:
        connection.close()
    files = sum(os.path.getsize(database + s) for s in ("", "-wal") if os.path.exists(database + s))
    return files, pages * size, free * size


def fresh_copy_dir(server, name, journal=True):
    """A fresh data directory holding only what an operator keeps apart from the backups: the key file and the
    erasure journal (docs/backups.md)."""
    target = os.path.join(server.root, name)
    os.makedirs(target)
    for keep in ("keys.json", "erasures.journal") if journal else ("keys.json",):
        if os.path.exists(os.path.join(server.data_dir, keep)):
            shutil.copy2(os.path.join(server.data_dir, keep), target)
    return target


def timed_cli(server, *args, data_dir=None):
    code, output, seconds = server.cli(*args, data_dir=data_dir)
    return code, output, seconds * 1000


def load(server, personas):
    started = time.time()
    workload = Workload(server, Canaries(int(time.time())), personas).run()
    return workload, time.time() - started


def online_backup(server, checks):
    """Taken while serving, then verified (decrypt, manifest, scratch restore, ledger and audit checks)."""
    target = os.path.join(server.root, "backups", "online.backup")
    os.makedirs(os.path.dirname(target))
    code, output, create_ms = timed_cli(server, "backup", "create", "--output", target)
    checks.check(code == 0, "online backup create", output)
    code, output, verify_ms = timed_cli(server, "backup", "verify", target)
    checks.check(code == 0, "online backup verify", output)
    return target, create_ms, verify_ms


def restore(server, backup, name, checks, journal=True):
    """`backup restore` into a fresh directory, timed as the operator would wait for it."""
    target = fresh_copy_dir(server, name, journal)
    code, output, restore_ms = timed_cli(server, "backup", "restore", backup, data_dir=target)
    checks.check(code == 0 and os.path.exists(os.path.join(target, "covenant.sqlite")),
                 f"restore {os.path.basename(backup)} into a fresh data directory", output)
    return target, restore_ms


def compare(original, restored, checks, exact):
    """Every table: same rows (count and content hash); the schema too."""
    before, schema_before = table_digests(original)
    after, schema_after = table_digests(restored)
    checks.check(schema_before == schema_after, "schema identical")
    differing = [t for t in sorted(set(before) | set(after)) if before.get(t, (0, ""))[:2] != after.get(t, (0, ""))[:2]]
    renumbered = [t for t in before if t in after and before[t][:2] == after[t][:2] and before[t][2] != after[t][2]]
    rows = sum(count for count, _, _ in before.values())
    explained = "; ".join(explain_difference(original, restored, t) for t in differing)
    if exact:
        checks.check(not differing, f"{len(before)} tables, {rows} rows: identical (count and hash per table)",
                     explained)
    else:
        print(f"  info {len(differing)} of {len(before)} tables differ from the stopped original (the platform "
              f"kept writing after the snapshot): {explained or '-'}")
    if renumbered:
        print(f"  info rowids renumbered (same rows, other rowids) in: {', '.join(renumbered)}")
    return before, rows, differing


def integrity_checks(server, data_dir, checkpoint, checks):
    """The ledger and the audit log on the restored copy; the log must extend a head signed before the backup."""
    code, output, ms = timed_cli(server, "ledger", "check", "--offline", data_dir=data_dir)
    checks.check(code == 0, "ledger check --offline on the restored copy", output)
    print(f"       {output.splitlines()[-1] if output else ''}")
    code, output, ms = timed_cli(server, "audit", "verify", "--checkpoint", checkpoint, data_dir=data_dir)
    checks.check(code == 0 and "intact" in output, "audit verify --checkpoint on the restored copy", output)
    print(f"       {output.splitlines()[-1] if output else ''}")


def serving(server, data_dir, name, checks, try_it):
    """Starts the platform on a restored copy, runs `try_it(api)`, and stops it."""
    restored = Server(server.binary, data_dir=data_dir, root=server.root, log_name=f"{name}-server.log")
    try:
        restored.start()
        try_it(restored.api)
    finally:
        code = restored.stop()
        checks.check(code == 0, f"the {name} copy stops cleanly on SIGTERM", f"exit {code}")


def serves(person, orders_before, checks):
    """The restored copy runs: ready, a consumer signs in and sees the orders placed before the backup."""
    def try_it(api):
        ready = api.call("GET", "/health/ready").status
        session = api.call("POST", "/api/v1/sessions", {"login": person["login"], "password": PASSWORD})
        orders = api.call("GET", "/api/v1/orders", token=session.get("token")).get("orders", [])
        checks.check(ready == 200 and session.status == 201 and len(orders) == orders_before,
                     "the restored copy serves: ready, sign-in, the consumer's orders",
                     f"ready {ready}, sign-in {session.status}, {len(orders)} of {orders_before} orders")
    return try_it


def erased_cannot_sign_in(person, checks):
    """On a copy restored from before the erasure, the erased person must not get a session."""
    def try_it(api):
        session = api.call("POST", "/api/v1/sessions", {"login": person["login"], "password": PASSWORD})
        checks.check(session.status == 401, "the account erased after the backup cannot sign in on the restored copy",
                     f"sign-in {session}")
        old = api.call("GET", "/api/v1/orders", token=person["token"])
        checks.check(old.status == 401, "its session token from before the erasure is refused on the restored copy",
                     f"GET /api/v1/orders with it: {old.status}, {len(old.get('orders', []))} orders")
    return try_it


def erase_after_backup(server, person):
    """An erasure after the online backup: restoring that backup must not bring the person's data key back."""
    reply = server.api.call("DELETE", "/api/v1/me", {"password": PASSWORD}, person["token"])
    if reply.status != 204:
        raise RuntimeError(f"erasure: {reply}")


def erased_stays_erased(data_dir, person, checks):
    """docs/backups.md: erasures after a backup are replayed on restore. The data key must be gone, and the
    account must be the tombstone the erasure left (no login index, no password, sessions and consents ended,
    its public review text blanked)."""
    connection = sqlite3.connect(f"file:{os.path.join(data_dir, 'covenant.sqlite')}?mode=ro", uri=True)
    one = lambda sql: connection.execute(sql, (person["id"],)).fetchone()[0]  # noqa: E731
    try:
        key_destroyed = one("SELECT wrapped_key IS NULL AND destroyed_at IS NOT NULL FROM subject_keys "
                            "WHERE subject_id = ?")
        status = one("SELECT status FROM accounts WHERE id = ?")
        live = {"sessions": one("SELECT COUNT(*) FROM sessions WHERE account_id = ? AND revoked_at IS NULL"),
                "consents": one("SELECT COUNT(*) FROM consents WHERE account_id = ? AND withdrawn_at IS NULL"),
                "review texts": one("SELECT COUNT(*) FROM reviews WHERE buyer_id = ? AND body != ''")}
    finally:
        connection.close()
    checks.check(key_destroyed == 1, "an account erased after the backup: its data key is destroyed in the "
                 "restored copy (erasure journal replayed)")
    checks.check(status == "erased" and not any(live.values()),
                 "an account erased after the backup is a tombstone in the restored copy",
                 f"accounts.status '{status}', still live: "
                 + ", ".join(f"{n} {c}" for n, c in live.items() if c))


def refusals(server, backup, checks):
    """A damaged backup restores nothing; a database that holds data is not replaced without --force."""
    damaged = os.path.join(server.root, "backups", "damaged.backup")
    with open(backup, "rb") as file:
        data = bytearray(file.read())
    data[len(data) // 2] ^= 0x01
    with open(damaged, "wb") as file:
        file.write(data)
    target = fresh_copy_dir(server, "damaged-restore")
    code, output, _ = timed_cli(server, "backup", "restore", damaged, data_dir=target)
    checks.check(code != 0 and not os.path.exists(os.path.join(target, "covenant.sqlite")),
                 "a damaged backup is refused and leaves no database", output)
    code, output, _ = timed_cli(server, "backup", "restore", backup)
    checks.check(code != 0, "restore over the live data directory needs --force", output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path to the covenant binary (e.g. .build/debug/covenant)")
    parser.add_argument("--quick", action="store_true", help="3 personas, for CI (full: 60)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    exit_on_sigterm()
    server = Server(args.binary)
    checks = Checks()
    try:
        return drill(server, 3 if args.quick else 60, checks, args.quick)
    finally:
        server.stop()
        if args.keep:
            print(f"kept {server.root}")
        else:
            shutil.rmtree(server.root, ignore_errors=True)


def drill(server, personas, checks, quick):
    print(f"backup drill ({'quick' if quick else 'full'}): {personas} personas; server {server.binary}")
    run = serve_and_back_up(server, personas, checks)
    print("online backup (taken while serving):")
    run["online restore ms"] = check_online_backup(server, run, checks)
    print("backup after a clean stop:")
    run.update(check_stopped_backup(server, run, checks))
    print_figures(run)
    print(f"result: {'FAIL (' + '; '.join(checks.failed) + ')' if checks.failed else 'PASS'}")
    return 1 if checks.failed else 0


def serve_and_back_up(server, personas, checks):
    """The workload, a signed tree head to check the restored log against, an online backup, an erasure after
    it, then a clean stop."""
    server.start()
    workload, load_seconds = load(server, personas)
    person, erased = workload.consumers[0], workload.consumers[1]
    orders = len(server.api.call("GET", "/api/v1/orders", token=person["token"]).get("orders", []))
    print(f"  workload: {len(workload.submissions)} submissions in {load_seconds:.1f} s")
    checkpoint = os.path.join(server.root, "checkpoint.json")
    with open(checkpoint, "w") as file:
        file.write(server.cli("audit", "checkpoint")[1])
    online, create_ms, verify_ms = online_backup(server, checks)
    erase_after_backup(server, erased)
    code = server.stop()
    checks.check(code == 0, "server stops cleanly on SIGTERM", f"exit {code}")
    return {"person": person, "erased": erased, "orders": orders, "checkpoint": checkpoint, "online": online,
            "online create ms": create_ms, "online verify ms": verify_ms,
            "original": os.path.join(server.data_dir, "covenant.sqlite")}


def check_online_backup(server, run, checks):
    """Restored from before the erasure: consistent, checks pass, and the erased person stays erased."""
    online_dir, restore_ms = restore(server, run["online"], "restored-online", checks)
    compare(run["original"], os.path.join(online_dir, "covenant.sqlite"), checks, exact=False)
    erased_stays_erased(online_dir, run["erased"], checks)
    integrity_checks(server, online_dir, run["checkpoint"], checks)
    serving(server, online_dir, "online-restored", checks, erased_cannot_sign_in(run["erased"], checks))
    return restore_ms


def check_stopped_backup(server, run, checks):
    """Nothing writes any more: the restored copy must equal the original row for row."""
    offline = os.path.join(server.root, "backups", "stopped.backup")
    code, output, create_ms = timed_cli(server, "backup", "create", "--output", offline)
    checks.check(code == 0, "backup create", output)
    restored_dir, first_ms = restore(server, offline, "restored", checks)
    # Two more restores into fresh directories: one timing on a shared machine is noisy.
    times = sorted([first_ms] + [restore(server, offline, f"restored-{n}", checks)[1] for n in (2, 3)])
    digests, rows, differing = compare(run["original"], os.path.join(restored_dir, "covenant.sqlite"), checks,
                                       exact=True)
    if differing:  # is the erasure journal's replay the cause? Restore once without it to tell.
        bare, _ = restore(server, offline, "restored-without-journal", Checks(quiet=True), journal=False)
        same = table_digests(run["original"]) == table_digests(os.path.join(bare, "covenant.sqlite"))
        print(f"  info restored without the erasure journal: {'identical' if same else 'differs too'}")
    integrity_checks(server, restored_dir, run["checkpoint"], checks)
    serving(server, restored_dir, "restored", checks, serves(run["person"], run["orders"], checks))
    refusals(server, offline, checks)
    return {"offline": offline, "create ms": create_ms, "restore ms": times, "digests": digests, "rows": rows}


def print_figures(run):
    file_bytes, used_bytes, free_bytes = database_size(run["original"])
    biggest = sorted(run["digests"].items(), key=lambda item: -item[1][0])[:5]
    times = run["restore ms"]
    print("figures:")
    print(f"  database: {file_bytes / 1e6:.2f} MB on disk, {used_bytes / 1e6:.2f} MB of pages "
          f"({free_bytes / 1e6:.2f} MB free), {len(run['digests'])} tables, {run['rows']} rows "
          f"(largest: {', '.join(f'{t} {c}' for t, (c, _, _) in biggest)})")
    print(f"  backup file: {os.path.getsize(run['offline']) / 1e6:.2f} MB "
          f"(online one {os.path.getsize(run['online']) / 1e6:.2f} MB)")
    print(f"  backup create: online {run['online create ms']:.0f} ms, after stop {run['create ms']:.0f} ms; "
          f"backup verify (online one): {run['online verify ms']:.0f} ms")
    print(f"  restore (covenant backup restore, verification included): median {times[1]:.0f} ms "
          f"(min {times[0]:.0f}, max {times[2]:.0f} of 3) after stop, {run['online restore ms']:.0f} ms for the "
          f"online backup")


if __name__ == "__main__":
    sys.exit(main())
