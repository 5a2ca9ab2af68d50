"""Tests of verify.py against known answers and the fixtures written by the Swift test suite
(Tests/AuditLogTests/FixtureTests.swift). Run: python3 -m unittest discover -s tools/audit -p 'test_*.py'"""

import base64
import contextlib
import copy
import http.server
import io
import json
import os
import pathlib
import sys
import tempfile
import threading
import unittest
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import verify  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def h(hex_digits):
    return bytes.fromhex(hex_digits)


def flip(b64):
    """The base64 of the same bytes with the first bit flipped."""
    data = bytearray(base64.b64decode(b64))
    data[0] ^= 0x80
    return base64.b64encode(bytes(data)).decode()


class HashingTests(unittest.TestCase):
    """Certificate Transparency (RFC 6962) test tree: leaves "", 00, 10, 2021, 3031, 40414243, ..."""

    ROOT5 = h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4")
    ROOT8 = h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    PATH0 = [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
             h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
             h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]

    def test_empty_root_and_leaf_hash(self):
        self.assertEqual(verify.EMPTY_ROOT, h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        self.assertEqual(verify.leaf_hash(b""), h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"))

    def test_ct_inclusion(self):
        verify.verify_inclusion(verify.leaf_hash(b""), 0, 8, self.PATH0, self.ROOT8)
        with self.assertRaises(verify.VerificationError):
            verify.verify_inclusion(verify.leaf_hash(b""), 1, 8, self.PATH0, self.ROOT8)
        with self.assertRaises(verify.VerificationError):
            verify.verify_inclusion(verify.leaf_hash(b""), 0, 8, self.PATH0[:2], self.ROOT8)

    def test_ct_consistency(self):
        root1 = verify.leaf_hash(b"")
        root2 = h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
        root6 = h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef")
        verify.verify_consistency(1, 8, root1, self.ROOT8, self.PATH0)
        verify.verify_consistency(6, 8, root6, self.ROOT8, [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")])
        verify.verify_consistency(2, 5, root2, self.ROOT5, [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")])
        verify.verify_consistency(8, 8, self.ROOT8, self.ROOT8, [])
        verify.verify_consistency(0, 8, verify.EMPTY_ROOT, self.ROOT8, [])
        for args in [(1, 8, root2, self.ROOT8, self.PATH0), (8, 1, root1, self.ROOT8, self.PATH0),
                     (1, 8, root1, self.ROOT8, []), (8, 8, self.ROOT8, self.ROOT8, self.PATH0)]:
            with self.assertRaises(verify.VerificationError):
                verify.verify_consistency(*args)


class Ed25519Tests(unittest.TestCase):
    """RFC 8032 §7.1, test 1 (empty message)."""

    PUBLIC = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    SIGNATURE = h("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
                  "d25bf5f0595bbe24655141438e7a100b")

    def test_rfc8032_vector(self):
        self.assertTrue(verify.ed25519_verify(self.PUBLIC, b"", self.SIGNATURE))

    def test_rejects_alterations(self):
        bad_signature = bytearray(self.SIGNATURE)
        bad_signature[10] ^= 1
        bad_key = bytearray(self.PUBLIC)
        bad_key[3] ^= 1
        s_plus_l = (int.from_bytes(self.SIGNATURE[32:], "little") + verify._L).to_bytes(32, "little")
        self.assertFalse(verify.ed25519_verify(self.PUBLIC, b"x", self.SIGNATURE))
        self.assertFalse(verify.ed25519_verify(self.PUBLIC, b"", bytes(bad_signature)))
        self.assertFalse(verify.ed25519_verify(bytes(bad_key), b"", self.SIGNATURE))
        self.assertFalse(verify.ed25519_verify(self.PUBLIC, b"", self.SIGNATURE[:32] + s_plus_l))
        self.assertFalse(verify.ed25519_verify(self.PUBLIC[:31], b"", self.SIGNATURE))


class AuditLeafTests(unittest.TestCase):
    def test_golden_bytes(self):
        # The same leaf and bytes as AuditLeafTests.goldenBytes in Swift.
        leaf = {"sequence": 1, "timestamp": 1_700_000_000_000, "eventType": "account.login.failure", "actor": "a",
                "subject": "", "object": "order:123", "outcome": "failure",
                "detailsHash": base64.b64encode(bytes(range(32))).decode()}
        expected = ("01" "0000000000000001" "0000018bcfe56800" "00000015" + b"account.login.failure".hex()
                    + "00000001" "61" "00000000" "00000009" + b"order:123".hex() + "00000007" + b"failure".hex()
                    + bytes(range(32)).hex())
        self.assertEqual(verify.audit_leaf_bytes(leaf).hex(), expected)
        self.assertEqual(verify.audit_leaf_hash(leaf).hex(),
                         "152e1f9bd73115fcf2d6ac8a6bea3c50c1b428045667c40b6c37e7ce8813cd35")

    def test_rejects_malformed_leaves(self):
        leaf = load("leaf.json")
        for name, value in [("sequence", -1), ("sequence", True), ("actor", 5), ("detailsHash", "AAEC"),
                            ("eventType", None)]:
            with self.subTest(name=name, value=value), self.assertRaises(verify.VerificationError):
                verify.audit_leaf_hash({**leaf, name: value})
        with self.assertRaises(verify.VerificationError):
            verify.audit_leaf_hash({k: v for k, v in leaf.items() if k != "outcome"})


class FixtureTests(unittest.TestCase):
    """The 37-leaf log that the Swift tests wrote into fixtures/."""

    def setUp(self):
        self.key = base64.b64decode(load("public-key.json"))
        self.head, self.old_head = load("head.json"), load("old-head.json")
        self.leaf, self.inclusion = load("leaf.json"), load("inclusion.json")
        self.consistency = load("consistency.json")

    def check_head(self, head):
        verify.TreeHead.from_json(head).verify(self.key)

    def check_inclusion(self, head=None, proof=None, leaf=None):
        tree_head = verify.TreeHead.from_json(head or self.head)
        return verify.check_inclusion(tree_head, proof or self.inclusion, leaf or self.leaf)

    def check_consistency(self, old=None, new=None, proof=None):
        old, new = verify.TreeHead.from_json(old or self.old_head), verify.TreeHead.from_json(new or self.head)
        return verify.check_consistency(old, new, proof or self.consistency)

    def test_valid_fixtures_verify(self):
        self.check_head(self.head)
        self.check_head(self.old_head)
        self.assertTrue(self.check_inclusion().startswith("OK inclusion"))
        self.assertTrue(self.check_consistency().startswith("OK consistency"))
        self.assertEqual(load("proof-response.json"), {"leaf": self.leaf, "proof": self.inclusion})

    def test_altered_head_is_rejected(self):
        alterations = {"treeSize": self.head["treeSize"] + 1, "timestamp": self.head["timestamp"] - 1,
                       "rootHash": flip(self.head["rootHash"]), "signature": flip(self.head["signature"])}
        for name, value in alterations.items():
            with self.subTest(field=name), self.assertRaises(verify.VerificationError):
                self.check_head({**self.head, name: value})

    def test_altered_leaf_is_rejected(self):
        alterations = {"sequence": 10, "timestamp": self.leaf["timestamp"] + 1, "eventType": "order.create",
                       "actor": "x", "subject": "", "object": "ticket:9/e", "outcome": "failure",
                       "detailsHash": flip(self.leaf["detailsHash"])}
        for name, value in alterations.items():
            with self.subTest(field=name), self.assertRaises(verify.VerificationError):
                self.check_inclusion(leaf={**self.leaf, name: value})

    def test_altered_inclusion_proof_is_rejected(self):
        proofs = [{**self.inclusion, "leafIndex": 8}, {**self.inclusion, "treeSize": 36},
                  {**self.inclusion, "leafHash": flip(self.inclusion["leafHash"])},
                  {**self.inclusion, "hashes": self.inclusion["hashes"][:-1]},
                  {**self.inclusion, "hashes": self.inclusion["hashes"] + [self.head["rootHash"]]}]
        for position in range(len(self.inclusion["hashes"])):
            proof = copy.deepcopy(self.inclusion)
            proof["hashes"][position] = flip(proof["hashes"][position])
            proofs.append(proof)
        for number, proof in enumerate(proofs):
            with self.subTest(alteration=number), self.assertRaises(verify.VerificationError):
                self.check_inclusion(proof=proof, leaf={**self.leaf, "sequence": proof["leafIndex"]})
        with self.assertRaises(verify.VerificationError):
            self.check_inclusion(head=self.old_head)

    def test_altered_consistency_proof_is_rejected(self):
        proofs = [{**self.consistency, "first": 19}, {**self.consistency, "second": 38},
                  {**self.consistency, "hashes": self.consistency["hashes"][:-1]}]
        for position in range(len(self.consistency["hashes"])):
            proof = copy.deepcopy(self.consistency)
            proof["hashes"][position] = flip(proof["hashes"][position])
            proofs.append(proof)
        for number, proof in enumerate(proofs):
            with self.subTest(alteration=number), self.assertRaises(verify.VerificationError):
                self.check_consistency(proof=proof)
        for old, new in [({**self.old_head, "rootHash": flip(self.old_head["rootHash"])}, None),
                         (None, {**self.head, "rootHash": flip(self.head["rootHash"])}),
                         (self.head, self.old_head)]:
            with self.assertRaises(verify.VerificationError):
                self.check_consistency(old=old, new=new)


def run_cli(*args):
    """Runs verify.main; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = verify.main([str(arg) for arg in args])
    return status, out.getvalue(), err.getvalue()


class CliTests(unittest.TestCase):
    def setUp(self):
        self.key = load("public-key.json")
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, value):
        path = pathlib.Path(self.tmp.name) / name
        path.write_text(json.dumps(value), encoding="utf-8")
        return path

    def test_valid_files_exit_0(self):
        for args in [("head", FIXTURES / "head.json", "--public-key", self.key),
                     ("inclusion", FIXTURES / "head.json", FIXTURES / "inclusion.json", "--leaf",
                      FIXTURES / "leaf.json", "--public-key", self.key),
                     ("inclusion", FIXTURES / "head.json", FIXTURES / "proof-response.json"),
                     ("consistency", FIXTURES / "old-head.json", FIXTURES / "head.json",
                      FIXTURES / "consistency.json", "--public-key", self.key)]:
            with self.subTest(command=args[0]):
                status, out, _ = run_cli(*args)
                self.assertEqual(status, 0)
                self.assertTrue(out.startswith("OK "))

    def test_altered_files_exit_1_with_reason(self):
        head, leaf = load("head.json"), load("leaf.json")
        forged_head = self.write("head.json", {**head, "treeSize": 38})
        forged_leaf = self.write("leaf.json", {**leaf, "outcome": "failure"})
        for args in [("head", forged_head, "--public-key", self.key),
                     ("inclusion", FIXTURES / "head.json", FIXTURES / "inclusion.json", "--leaf", forged_leaf),
                     ("consistency", FIXTURES / "head.json", FIXTURES / "old-head.json", FIXTURES / "consistency.json"),
                     ("head", self.tmp.name + "/missing.json", "--public-key", self.key)]:
            with self.subTest(args=args):
                status, _, err = run_cli(*args)
                self.assertEqual(status, 1)
                self.assertTrue(err.startswith("FAIL "))


class FetchTests(unittest.TestCase):
    """`verify.py fetch` against a local server that serves the fixtures."""

    def setUp(self):
        self.key = load("public-key.json")
        self.routes = {"/api/v1/audit/head": load("head.json"),
                       "/api/v1/audit/events/9/proof?treeSize=37": load("proof-response.json"),
                       "/api/v1/audit/consistency?first=20&second=37": load("consistency.json")}
        self.authorizations = []
        test = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                test.authorizations.append(self.headers.get("Authorization"))
                body = test.routes.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"

    def fetch(self, *extra):
        return run_cli("fetch", "--base-url", self.base_url, "--public-key", self.key, *extra)

    def test_fetch_verifies_head_inclusion_and_consistency(self):
        with mock.patch.dict(os.environ, {"COVENANT_TOKEN": "t0ken"}):
            status, out, err = self.fetch("--sequence", 9, "--old-head", FIXTURES / "old-head.json")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual([line.split(":")[0] for line in out.splitlines()],
                         ["OK head", "OK inclusion", "OK consistency"])
        self.assertEqual(set(self.authorizations), {"Bearer t0ken"})

    def test_fetch_with_old_size_and_root(self):
        old_root = load("old-head.json")["rootHash"]
        status, _, err = self.fetch("--old-size", 20, "--old-root", old_root)
        self.assertEqual((status, err), (0, ""))
        status, _, err = self.fetch("--old-size", 20, "--old-root", flip(old_root))
        self.assertEqual(status, 1)
        self.assertIn("old root", err)

    def test_fetch_rejects_a_forked_log(self):
        self.routes["/api/v1/audit/head"] = {**load("head.json"), "rootHash": flip(load("head.json")["rootHash"])}
        status, _, err = self.fetch("--sequence", 9)
        self.assertEqual(status, 1)
        self.assertIn("signature", err)

    def test_fetch_rejects_a_tampered_event(self):
        response = load("proof-response.json")
        response["leaf"]["actor"] = "someone-else"
        self.routes["/api/v1/audit/events/9/proof?treeSize=37"] = response
        status, _, err = self.fetch("--sequence", 9)
        self.assertEqual(status, 1)
        self.assertIn("leaf", err)

    def test_fetch_reports_http_errors(self):
        status, _, err = self.fetch("--sequence", 10)
        self.assertEqual(status, 1)
        self.assertIn("HTTP 404", err)


if __name__ == "__main__":
    unittest.main()
