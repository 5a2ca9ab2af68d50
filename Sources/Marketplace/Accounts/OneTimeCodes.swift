import Crypto
import Domain
import Foundation

/// Six-digit codes sent to a person's phone or e-mail (real-name verification, risk step-up). Only an HMAC of the
/// code under the holder's data key is stored, bound to what the code is for (`label`), so a code for one
/// purpose never passes for another.
enum OneTimeCodes {
    static func make() -> String { String(format: "%06d", Int.random(in: 0..<1_000_000)) }

    static func mac(_ code: String, label: String, key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data("\(label)|\(code)".utf8), using: key))
    }

    /// Constant-time: the library compares the MACs.
    static func matches(_ code: String, label: String, mac: String, key: SymmetricKey) -> Bool {
        guard let expected = Hex.decode(mac) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            expected, authenticating: Data("\(label)|\(code)".utf8), using: key)
    }
}
