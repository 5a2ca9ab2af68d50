#!/usr/bin/env python3
"""Independent verifier for the covenant audit log.

Checks RFC 9162 inclusion and consistency proofs, recomputes audit leaf hashes from their JSON fields, and
verifies Ed25519 signatures of tree heads, with the Python standard library only. The encodings are those of
docs/decisions/002-audit-merkle-log.md.

    verify.py head HEAD.json --public-key B64
    verify.py inclusion HEAD.json PROOF.json [--leaf LEAF.json] [--public-key B64]
    verify.py consistency OLDHEAD.json NEWHEAD.json PROOF.json [--public-key B64]
    verify.py fetch --base-url URL --public-key B64 [--sequence N]
                    [--old-head OLDHEAD.json | --old-size M --old-root B64] [--save-head FILE]

Exit status 0 with "OK ..." lines when everything verifies, 1 with the reason when something does not,
2 for usage errors. `fetch` sends `Authorization: Bearer $COVENANT_TOKEN` when that variable is set.
"""

import argparse
import base64
import binascii
import dataclasses
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


class VerificationError(Exception):
    """Something does not verify; the message says what."""


# RFC 9162 §2.1.1 hashing ------------------------------------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data):
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _hash_goes_left(fn, sn):
    """Whether the next path hash is a left sibling (LSB(fn) set or fn == sn); then climbs past levels
    where the node has no right sibling. Returns (goes_left, fn, sn)."""
    if fn & 1 == 0 and fn != sn:
        return False, fn, sn
    while fn & 1 == 0 and fn != 0:
        fn, sn = fn >> 1, sn >> 1
    return True, fn, sn


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 §2.1.3.2. Raises VerificationError unless `proof` shows `leaf` at `index` in the tree of
    `size` leaves whose root is `root`."""
    if index >= size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerificationError(f"inclusion proof of {len(proof)} hashes is too long")
        left, fn, sn = _hash_goes_left(fn, sn)
        r = node_hash(p, r) if left else node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"inclusion proof of {len(proof)} hashes is too short")
    if r != root:
        raise VerificationError(f"inclusion proof yields root {_b64(r)}, not {_b64(root)}")


def verify_consistency(size1, size2, root1, root2, proof):
    """RFC 9162 §2.1.4.2, plus the trivial cases with an empty proof (size1 == 0, size1 == size2).
    Raises VerificationError unless the tree (size2, root2) extends the tree (size1, root1)."""
    if size1 > size2:
        raise VerificationError(f"consistency needs first <= second, got {size1} > {size2}")
    if size1 == 0 or size1 == size2:
        if proof:
            raise VerificationError(f"consistency proof for sizes {size1}, {size2} must be empty")
        if root1 != (EMPTY_ROOT if size1 == 0 else root2):
            raise VerificationError(f"root {_b64(root1)} does not match the tree of size {size1}")
        return
    if not proof:
        raise VerificationError("consistency proof is empty")
    path = [root1] + list(proof) if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(f"consistency proof of {len(proof)} hashes is too long")
        left, fn, sn = _hash_goes_left(fn, sn)
        if left:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise VerificationError(f"consistency proof of {len(proof)} hashes is too short")
    if fr != root1:
        raise VerificationError(f"consistency proof yields old root {_b64(fr)}, not {_b64(root1)}")
    if sr != root2:
        raise VerificationError(f"consistency proof yields new root {_b64(sr)}, not {_b64(root2)}")


# Ed25519 verification (RFC 8032 §5.1.7, after its §6 reference code) ---------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _point_add(a, b):
    """Adds two points in extended coordinates (X, Y, Z, T)."""
    pa = (a[1] - a[0]) * (b[1] - b[0]) % _P
    pb = (a[1] + a[0]) * (b[1] + b[0]) % _P
    pc = 2 * a[3] * b[3] * _D % _P
    pd = 2 * a[2] * b[2] % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


def _point_decompress(data):
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_G_Y = 4 * pow(5, _P - 2, _P) % _P
_G = (_recover_x(_G_Y, 0), _G_Y, 1, _recover_x(_G_Y, 0) * _G_Y % _P)


def ed25519_verify(public_key, message, signature):
    """Whether `signature` is a valid Ed25519 signature of `message` by `public_key` (32 bytes)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _point_decompress(public_key), _point_decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _point_equal(_point_mul(s, _G), _point_add(r, _point_mul(k, a)))


# JSON values ------------------------------------------------------------------------------------------------

def _b64(data):
    return base64.b64encode(data).decode()


def _field(obj, name, where):
    if not isinstance(obj, dict) or name not in obj:
        raise VerificationError(f"{where}: missing field {name!r}")
    return obj[name]


def _u64(obj, name, where):
    value = _field(obj, name, where)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise VerificationError(f"{where}: {name!r} is not an unsigned 64-bit integer")
    return value


def _string(obj, name, where):
    value = _field(obj, name, where)
    if not isinstance(value, str):
        raise VerificationError(f"{where}: {name!r} is not a string")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise VerificationError(f"{where}: {name!r} is not valid Unicode") from error


def _bytes(value, name, where, length=None):
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except (binascii.Error, ValueError):
        data = None
    if data is None or (length is not None and len(data) != length):
        size = f" of {length} bytes" if length else ""
        raise VerificationError(f"{where}: {name!r} is not base64{size}")
    return data


def _hash(obj, name, where):
    return _bytes(_field(obj, name, where), name, where, 32)


def _hash_list(obj, name, where):
    values = _field(obj, name, where)
    if not isinstance(values, list):
        raise VerificationError(f"{where}: {name!r} is not a list")
    return [_bytes(value, f"{name}[{i}]", where, 32) for i, value in enumerate(values)]


@dataclasses.dataclass(frozen=True)
class TreeHead:
    """A signed tree head: {"treeSize", "timestamp", "rootHash", "signature"}."""

    tree_size: int
    timestamp: int
    root_hash: bytes
    signature: bytes

    STH_PREFIX = b"covenant-sth-v1"

    @classmethod
    def from_json(cls, obj, where="tree head"):
        return cls(
            _u64(obj, "treeSize", where),
            _u64(obj, "timestamp", where),
            _hash(obj, "rootHash", where),
            _bytes(_field(obj, "signature", where), "signature", where),
        )

    def signed_bytes(self):
        """"covenant-sth-v1" || BE64(treeSize) || BE64(timestamp) || rootHash."""
        return (
            self.STH_PREFIX + self.tree_size.to_bytes(8, "big") + self.timestamp.to_bytes(8, "big") + self.root_hash
        )

    def verify(self, public_key):
        if not ed25519_verify(public_key, self.signed_bytes(), self.signature):
            raise VerificationError(f"the signature of the tree head of size {self.tree_size} does not verify")


AUDIT_LEAF_VERSION = 0x01
AUDIT_LEAF_STRINGS = ("eventType", "actor", "subject", "object", "outcome")


def audit_leaf_bytes(leaf, where="leaf"):
    """The canonical encoding: 0x01 || BE64(sequence) || BE64(timestamp) || for each of eventType, actor,
    subject, object, outcome: BE32(UTF-8 length) || UTF-8 bytes || detailsHash (32 bytes)."""
    out = bytes([AUDIT_LEAF_VERSION])
    out += _u64(leaf, "sequence", where).to_bytes(8, "big") + _u64(leaf, "timestamp", where).to_bytes(8, "big")
    for name in AUDIT_LEAF_STRINGS:
        value = _string(leaf, name, where)
        out += len(value).to_bytes(4, "big") + value
    return out + _hash(leaf, "detailsHash", where)


def audit_leaf_hash(leaf, where="leaf"):
    """The RFC 9162 leaf hash of an audit leaf given as its JSON object."""
    return leaf_hash(audit_leaf_bytes(leaf, where))


# Checks shared by the commands ------------------------------------------------------------------------------

def check_inclusion(head, proof, leaf=None, where="inclusion proof"):
    """Verifies an inclusion proof JSON object (and its leaf, if given) against a TreeHead. Returns a summary."""
    index, size = _u64(proof, "leafIndex", where), _u64(proof, "treeSize", where)
    claimed_leaf = _hash(proof, "leafHash", where)
    if size != head.tree_size:
        raise VerificationError(f"{where} is for tree size {size}, the head for {head.tree_size}")
    if leaf is not None:
        if _u64(leaf, "sequence", "leaf") != index:
            raise VerificationError(f"leaf sequence {leaf['sequence']} is not the proof's leaf index {index}")
        if audit_leaf_hash(leaf) != claimed_leaf:
            raise VerificationError(f"the leaf's fields hash to {_b64(audit_leaf_hash(leaf))}, "
                                    f"not the proof's leaf hash {_b64(claimed_leaf)}")
    verify_inclusion(claimed_leaf, index, size, _hash_list(proof, "hashes", where), head.root_hash)
    checked = "fields and leaf hash" if leaf is not None else "leaf hash"
    return f"OK inclusion: event {index} ({checked}) is in the tree of size {size}"


def check_consistency(old, new, proof, where="consistency proof"):
    """Verifies a consistency proof JSON object between two TreeHeads. Returns a summary."""
    first, second = _u64(proof, "first", where), _u64(proof, "second", where)
    if (first, second) != (old.tree_size, new.tree_size):
        raise VerificationError(f"{where} is for sizes {first} → {second}, "
                                f"the heads for {old.tree_size} → {new.tree_size}")
    verify_consistency(first, second, old.root_hash, new.root_hash, _hash_list(proof, "hashes", where))
    return f"OK consistency: the tree of size {second} extends the tree of size {first}"


def head_summary(head):
    return f"OK head: size {head.tree_size}, root {_b64(head.root_hash)}, timestamp {head.timestamp}"


# Command line -----------------------------------------------------------------------------------------------

def _load(path):
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError) as error:
        raise VerificationError(f"cannot read {path}: {error}") from error


def _public_key(text):
    return _bytes(text, "public key", "--public-key", 32)


def _fetch(base_url, path, query=None):
    url = base_url.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    token = os.environ.get("COVENANT_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise VerificationError(f"GET {url}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise VerificationError(f"GET {url}: {error}") from error


def _split_proof(obj, leaf):
    """Accepts a bare inclusion proof or an API response {"leaf": {...}, "proof": {...}}."""
    if isinstance(obj, dict) and "proof" in obj:
        return obj["proof"], leaf if leaf is not None else obj.get("leaf")
    return obj, leaf


def run_head(args):
    head = TreeHead.from_json(_load(args.head))
    head.verify(_public_key(args.public_key))
    return [head_summary(head)]


def run_inclusion(args):
    head = TreeHead.from_json(_load(args.head))
    lines = []
    if args.public_key:
        head.verify(_public_key(args.public_key))
        lines.append(head_summary(head))
    proof, leaf = _split_proof(_load(args.proof), _load(args.leaf) if args.leaf else None)
    return lines + [check_inclusion(head, proof, leaf)]


def run_consistency(args):
    old = TreeHead.from_json(_load(args.old_head), "old tree head")
    new = TreeHead.from_json(_load(args.new_head), "new tree head")
    lines = []
    if args.public_key:
        key = _public_key(args.public_key)
        for head in (old, new):
            head.verify(key)
            lines.append(head_summary(head))
    return lines + [check_consistency(old, new, _load(args.proof))]


def run_fetch(args):
    key = _public_key(args.public_key)
    head = TreeHead.from_json(_fetch(args.base_url, "/api/v1/audit/head"))
    head.verify(key)
    lines = [head_summary(head)]
    if args.save_head:
        with open(args.save_head, "w", encoding="utf-8") as file:
            json.dump({"treeSize": head.tree_size, "timestamp": head.timestamp, "rootHash": _b64(head.root_hash),
                       "signature": _b64(head.signature)}, file, indent=2)
    if args.sequence is not None:
        response = _fetch(args.base_url, f"/api/v1/audit/events/{args.sequence}/proof", {"treeSize": head.tree_size})
        proof, leaf = _split_proof(response, None)
        if leaf is None:
            raise VerificationError("the proof response has no leaf")
        if _u64(proof, "leafIndex", "inclusion proof") != args.sequence:
            raise VerificationError(f"asked for event {args.sequence}, got a proof for {proof['leafIndex']}")
        lines.append(check_inclusion(head, proof, leaf))
    if args.old_head:
        old = TreeHead.from_json(_load(args.old_head), "old tree head")
        old.verify(key)
    elif args.old_size is not None:
        old = TreeHead(args.old_size, 0, _bytes(args.old_root, "old root", "--old-root", 32), b"")
    else:
        return lines
    proof = _fetch(args.base_url, "/api/v1/audit/consistency", {"first": old.tree_size, "second": head.tree_size})
    return lines + [check_consistency(old, head, proof)]


def _parser():
    parser = argparse.ArgumentParser(description="Verify covenant audit log tree heads and proofs.")
    commands = parser.add_subparsers(dest="command", required=True)

    head = commands.add_parser("head", help="verify a signed tree head")
    head.add_argument("head", metavar="HEAD.json")
    head.add_argument("--public-key", required=True, metavar="B64", help="the log's Ed25519 public key")
    head.set_defaults(run=run_head)

    inclusion = commands.add_parser("inclusion", help="verify an inclusion proof against a tree head")
    inclusion.add_argument("head", metavar="HEAD.json")
    inclusion.add_argument("proof", metavar="PROOF.json", help='a proof, or an API response {"leaf", "proof"}')
    inclusion.add_argument("--leaf", metavar="LEAF.json", help="recompute the leaf hash from the event's fields")
    inclusion.add_argument("--public-key", metavar="B64", help="also verify the head's signature")
    inclusion.set_defaults(run=run_inclusion)

    consistency = commands.add_parser("consistency", help="verify a consistency proof between two tree heads")
    consistency.add_argument("old_head", metavar="OLDHEAD.json")
    consistency.add_argument("new_head", metavar="NEWHEAD.json")
    consistency.add_argument("proof", metavar="PROOF.json")
    consistency.add_argument("--public-key", metavar="B64", help="also verify both heads' signatures")
    consistency.set_defaults(run=run_consistency)

    fetch = commands.add_parser("fetch", help="fetch the head and proofs from a running server and verify them")
    fetch.add_argument("--base-url", required=True, metavar="URL")
    fetch.add_argument("--public-key", required=True, metavar="B64")
    fetch.add_argument("--sequence", type=int, metavar="N", help="check the inclusion of event N")
    old = fetch.add_mutually_exclusive_group()
    old.add_argument("--old-head", metavar="OLDHEAD.json", help="check consistency with a head saved earlier")
    old.add_argument("--old-size", type=int, metavar="M", help="check consistency with the tree of size M ...")
    fetch.add_argument("--old-root", metavar="B64", help="... whose root, recorded earlier, is B64")
    fetch.add_argument("--save-head", metavar="FILE", help="save the fetched head for a later --old-head")
    fetch.set_defaults(run=run_fetch)
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "fetch" and (args.old_size is None) != (args.old_root is None):
        parser.error("--old-size and --old-root go together")
    try:
        for line in args.run(args):
            print(line)
    except VerificationError as error:
        print(f"FAIL {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
