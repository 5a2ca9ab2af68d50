import Crypto
import Foundation
import Privacy
import Testing

@Suite("Keys and field encryption")
struct KeyRingTests {
    let keys = try! KeyRing(material: .random(origin: .generated, nowMillis: 0))

    @Test("2.3.2: a field decrypts only in its own table, column and row")
    func contextBinding() throws {
        // setup
        let key = KeyRing.newDataKey()
        let here = FieldContext(table: "accounts", column: "login_cipher", row: "a")
        let sealed = try FieldCipher.seal("13800138000", key: key, context: here)
        // check
        #expect(try FieldCipher.open(sealed, key: key, context: here) == "13800138000")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("13800138000"))
        for other in [
            FieldContext(table: "accounts", column: "login_cipher", row: "b"),
            FieldContext(table: "accounts", column: "display_name_cipher", row: "a"),
            FieldContext(table: "orders", column: "login_cipher", row: "a"),
        ] {
            #expect(throws: PrivacyError.authenticationFailed) {
                try FieldCipher.open(sealed, key: key, context: other)
            }
        }
        #expect(throws: PrivacyError.authenticationFailed) {
            try FieldCipher.open(sealed, key: KeyRing.newDataKey(), context: here)
        }
        var tampered = sealed
        tampered[tampered.count - 1] ^= 1
        #expect(throws: PrivacyError.authenticationFailed) { try FieldCipher.open(tampered, key: key, context: here) }
    }

    @Test("2.3.2: data keys are wrapped per subject and survive master key rotation")
    func wrapping() throws {
        var material = KeyMaterial.random(origin: .generated, nowMillis: 0)
        let before = try KeyRing(material: material)
        let dataKey = KeyRing.newDataKey()
        let wrapped = try before.wrap(dataKey, subject: "alice")
        #expect(throws: PrivacyError.authenticationFailed) { try before.unwrap(wrapped, subject: "bob") }
        material.rotateMaster(nowMillis: 1)
        let after = try KeyRing(material: material)
        #expect(after.currentMasterVersion == 2)
        let unwrapped = try after.unwrap(wrapped, subject: "alice")
        #expect(unwrapped == dataKey)
        #expect(try after.wrap(dataKey, subject: "alice").masterVersion == 2)
    }

    @Test("2.3.2: blind indexes are stable, keyed and separated by purpose")
    func blindIndexes() throws {
        let other = try KeyRing(material: .random(origin: .generated, nowMillis: 0))
        let a = try keys.blindIndex("13800138000", purpose: "login")
        #expect(a == (try keys.blindIndex("13800138000", purpose: "login")))
        #expect(a != (try keys.blindIndex("13800138000", purpose: "ip")))
        #expect(a != (try other.blindIndex("13800138000", purpose: "login")))
        #expect(a.hasPrefix("v1:") && a.count == 3 + 32)
        #expect(!a.contains("13800138000"))
    }

    @Test("2.2: the key file is written owner-only and reads back")
    func keyFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let created = try KeyFile.load(path: path, createIfMissing: true, nowMillis: 5)
        #expect(created.origin == .generated)
        #expect(KeyFile.permissions(path: path) == 0o600)
        #expect(throws: PrivacyError.self) {
            try KeyFile.load(path: path + ".missing", createIfMissing: false, nowMillis: 0)
        }
    }

    @Test("2.2: audit pseudonyms are HMAC-SHA256 under the pseudonym key, identical from every thread")
    func pseudonyms() async throws {
        // setup
        let material = KeyMaterial.random(origin: .generated, nowMillis: 0)
        let keys = try KeyRing(material: material)
        let key = SymmetricKey(data: try #require(Data(base64Encoded: material.pseudonymKey)))
        let expected = HMAC<SHA256>.authenticationCode(for: Data("pseudonym|account-1".utf8), using: key)
            .prefix(16).map { String(format: "%02x", $0) }.joined()
        // act: many threads share the keyed template
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<64 { group.addTask { keys.pseudonym("account-1") } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        // check
        #expect(Set(results) == [expected])
        #expect(keys.pseudonym("account-2") != expected)
    }
}
