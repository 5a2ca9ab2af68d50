import Crypto
import Domain
import Foundation

/// The privacy notice people consent to (clause 2.3.1): purposes, methods, scope, retention and security
/// measures, generated from the data catalog so it always matches what is stored. Its version is a hash of its
/// text, so any change to the catalog or the purposes makes a new version that must be consented to again.
public struct PrivacyNotice: Sendable, Codable {
    public let version: String
    public let text: String
    public let purposes: [Purpose]

    public struct Purpose: Sendable, Codable {
        public let purpose: String
        public let statement: String
        public let separateConsent: Bool
        public let withdrawable: Bool
    }

    public static let current: PrivacyNotice = {
        let purposes = ConsentPurpose.allCases.map {
            Purpose(
                purpose: $0.rawValue, statement: $0.statement, separateConsent: $0 != .account,
                withdrawable: $0.withdrawable)
        }
        var lines = [
            "# Covenant privacy notice",
            "",
            "**Who processes your data**: the platform operator, as personal-information handler (PIPL Art. 17).",
            "",
            "**Purposes**, each with a consent of its own, which you may withdraw at any time (except the account, "
                + "which ends when you close it):",
        ]
        lines += purposes.map { "- `\($0.purpose)`: \($0.statement)" }
        lines += [
            "",
            "**Methods and security measures**: personal fields are encrypted with AES-256-GCM under a key of your "
                + "own, which is destroyed when you delete your account; staff see masked values and must state a "
                + "purpose to see more; every access is recorded in a tamper-evident audit log you can check "
                + "(`GET /api/v1/me/access-receipts`).",
            "",
            "**Your rights**: export (`GET /api/v1/me/export`), correction, and deletion (`DELETE /api/v1/me`), "
                + "answered within 15 working days.",
            "",
            "**Scope and retention**, field by field:",
        ]
        for entry in DataCatalog.entries where entry.category == .personal || entry.category == .sensitivePersonal {
            lines.append(
                "- `\(entry.table).\(entry.column)`\(entry.category == .sensitivePersonal ? " (sensitive)" : ""): "
                    + "\(entry.purpose) Kept \(entry.retention.description).")
        }
        let text = lines.joined(separator: "\n")
        let digest = SHA256.hash(data: Data(text.utf8))
        let version = Hex.encode(digest.prefix(6))
        return PrivacyNotice(version: version, text: text, purposes: purposes)
    }()
}
