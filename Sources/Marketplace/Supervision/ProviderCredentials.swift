import Crypto
public import Domain
public import Foundation
import SQLKit
import Storage

/// An authenticated provider request: which provider, which credential, what it may do.
public struct ProviderPrincipal: Sendable, Equatable {
    public let providerId: String
    public let kind: ProviderKind
    public let credentialId: String
    public let scopes: Set<ProviderScope>

    public func require(_ scope: ProviderScope) throws {
        guard scopes.contains(scope) else {
            throw Problem.forbidden("This credential does not have the scope \(scope.rawValue).")
        }
    }
}

/// Provider credentials (clause 2.6): a bearer token shown once and stored as its SHA-256, with scopes, an expiry,
/// an optional IP allow-list, and an Ed25519 public key that must sign every request (method, path, time, body).
/// Issued only to an active provider whose latest security assessment passed and is not due for review.
public enum ProviderCredentials {
    static let tokenPrefix = "cvp_"
    /// After a rotation the old credential keeps working this long, so the provider can switch without downtime.
    static let rotationOverlapMillis: Int64 = 3_600_000

    public struct Request: Sendable {
        public let scopes: [String]
        public let expiresAt: Int64
        public let ipAllow: [String]
        public let publicKey: String

        public init(scopes: [String], expiresAt: Int64, ipAllow: [String], publicKey: String) {
            self.scopes = scopes
            self.expiresAt = expiresAt
            self.ipAllow = ipAllow
            self.publicKey = publicKey
        }
    }

    public static func issue(provider id: String, _ request: Request, caller: Caller, platform: Platform)
        async throws -> ProviderCredentialView
    {
        try caller.require(.manageProviders)
        return try await platform.db.transaction { db in
            try await issue(
                provider: id, request, actor: caller.accountId, event: "provider.credential.issue",
                platform: platform, on: db)
        }
    }

    /// A new credential with the same scopes and allow-list; the old one ends an hour later.
    public static func rotate(credential id: String, publicKey: String?, caller: Caller, platform: Platform)
        async throws -> ProviderCredentialView
    {
        try caller.require(.manageProviders)
        let now = platform.now
        return try await platform.db.transaction { db in
            guard let old = try await ProviderStore.credential(id: id, on: db) else {
                throw Problem.notFound("The credential")
            }
            guard try await ProviderStore.endCredential(id: id, at: now + rotationOverlapMillis, now: now, on: db)
            else { throw Problem.conflict("The credential has ended already.") }
            let request = Request(
                scopes: StringList.decode(old.scopes), expiresAt: max(old.expires_at, now + 86_400_000),
                ipAllow: StringList.decode(old.ip_allow), publicKey: publicKey ?? old.public_key)
            return try await issue(
                provider: old.provider_id, request, actor: caller.accountId, event: "provider.credential.rotate",
                platform: platform, on: db)
        }
    }

    public static func revoke(credential id: String, caller: Caller, platform: Platform) async throws
        -> ProviderCredentialView
    {
        try caller.require(.manageProviders)
        let now = platform.now
        try await platform.db.transaction { db in
            guard let row = try await ProviderStore.credential(id: id, on: db) else {
                throw Problem.notFound("The credential")
            }
            guard try await ProviderStore.endCredential(id: id, at: now, now: now, on: db) else {
                throw Problem.conflict("The credential has ended already.")
            }
            try await AuditTrail.record(
                AuditEvent(
                    "provider.credential.revoke", actor: caller.accountId, object: "provider:\(row.provider_id)",
                    details: ["credential": id]), platform: platform, on: db)
        }
        guard let row = try await ProviderStore.credential(id: id, on: platform.db.sql) else {
            throw Problem.notFound("The credential")
        }
        return view(row)
    }

    private static func issue(
        provider id: String, _ request: Request, actor: String, event: String, platform: Platform,
        on db: any SQLDatabase
    ) async throws -> ProviderCredentialView {
        let now = platform.now
        guard let provider = try await ProviderStore.find(id: id, on: db),
            let kind = ProviderKind(rawValue: provider.kind)
        else { throw Problem.notFound("The provider") }
        guard provider.status == "active" else {
            throw Problem.conflict("The provider is \(provider.status): it gets no credentials.")
        }
        guard ServiceProviders.assessmentCurrent(try await ProviderStore.assessments(provider: id, on: db), now: now)
        else {
            throw Problem(
                type: "assessment-required", status: 409, title: "Security assessment required",
                detail: "A provider gets credentials only while its latest security assessment passed and its "
                    + "review is not due. Record a new assessment first.")
        }
        let scopes = try request.scopes.map {
            guard let scope = ProviderScope(rawValue: $0), kind.allowedScopes.contains(scope) else {
                throw Problem.invalid(
                    "scopes", "A \(kind.rawValue) provider may have \(kind.allowedScopes.map(\.rawValue).sorted()).")
            }
            return scope.rawValue
        }
        guard !scopes.isEmpty else { throw Problem.invalid("scopes", "Name at least one scope.") }
        guard request.expiresAt > now, request.expiresAt - now <= 366 * 86_400_000 else {
            throw Problem.invalid("expiresAt", "A credential expires in the future, within a year.")
        }
        guard request.ipAllow.count <= 20, request.ipAllow.allSatisfy(IPAllowList.isValidEntry) else {
            throw Problem.invalid("ipAllow", "Up to 20 IPv4 addresses or CIDR blocks such as 203.0.113.0/24.")
        }
        guard let keyBytes = Data(base64Encoded: request.publicKey),
            (try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)) != nil
        else { throw Problem.invalid("publicKey", "The provider's Ed25519 public key, 32 bytes in base64.") }
        let credentialId = Identifiers.make()
        let token = tokenPrefix + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URL
        let row = ProviderCredentialRow(
            id: credentialId, provider_id: id, secret_hash: hash(token), public_key: request.publicKey,
            scopes: StringList.encode(scopes.sorted()), ip_allow: StringList.encode(request.ipAllow),
            expires_at: request.expiresAt,
            created_by: actor, created_at: now)
        try await ProviderStore.insert(row, on: db)
        try await AuditTrail.record(
            AuditEvent(
                event, actor: actor, object: "provider:\(id)",
                details: [
                    "credential": credentialId, "scopes": row.scopes, "expiresAt": String(request.expiresAt),
                    "ipAllow": row.ip_allow,
                ]), platform: platform, on: db)
        var view = view(row)
        view.token = token
        return view
    }

    /// Checks a provider request: token, credential and provider state, IP allow-list, time and signature.
    /// Every check runs on every request, so a revocation or suspension applies to the very next one.
    public static func authenticate(
        token: String, method: String, path: String, timestamp: String?, signature: String?, body: Data, ip: String,
        platform: Platform
    ) async throws -> ProviderPrincipal {
        let refused = Problem(
            type: "provider-unauthenticated", status: 401, title: "Provider authentication failed",
            detail: "Send a live credential, X-Covenant-Timestamp (seconds, within 300 s) and X-Covenant-Signature "
                + "(base64 Ed25519 over the method, path, timestamp and body).")
        let db = platform.db.sql
        let now = platform.now
        guard token.hasPrefix(tokenPrefix), token.count < 100,
            let credential = try await ProviderStore.credential(secretHash: hash(token), on: db),
            credential.revoked_at == nil, credential.expires_at > now,
            let provider = try await ProviderStore.find(id: credential.provider_id, on: db),
            provider.status == "active", let kind = ProviderKind(rawValue: provider.kind)
        else { throw refused }
        let allowed: [String] = StringList.decode(credential.ip_allow)
        guard allowed.isEmpty || IPAllowList.contains(allowed, ip) else {
            try await deny(credential, reason: "ip", platform: platform)
            throw refused
        }
        guard let timestamp, let seconds = Int64(timestamp),
            abs(now / 1000 - seconds) <= ProviderRequestSignature.windowSeconds,
            let signature, let signatureBytes = Data(base64Encoded: signature),
            let keyBytes = Data(base64Encoded: credential.public_key),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes),
            key.isValidSignature(
                signatureBytes,
                for: ProviderRequestSignature.message(method: method, path: path, timestamp: seconds, body: body))
        else {
            try await deny(credential, reason: "signature", platform: platform)
            throw refused
        }
        if (credential.last_used_at ?? 0) < now - 60_000 {
            try await ProviderStore.touch(credential: credential.id, now: now, on: db)
        }
        return ProviderPrincipal(
            providerId: provider.id, kind: kind, credentialId: credential.id,
            scopes: Set(StringList.decode(credential.scopes).compactMap(ProviderScope.init)))
    }

    private static func deny(_ credential: ProviderCredentialRow, reason: String, platform: Platform) async throws {
        try await AuditTrail.recordAlone(
            AuditEvent(
                "provider.auth.denied", actor: nil, object: "provider:\(credential.provider_id)", outcome: .denied,
                details: ["credential": credential.id, "reason": reason]), platform: platform)
    }

    static func view(_ row: ProviderCredentialRow) -> ProviderCredentialView {
        ProviderCredentialView(
            id: row.id, scopes: StringList.decode(row.scopes), ipAllow: StringList.decode(row.ip_allow),
            expiresAt: row.expires_at,
            revokedAt: row.revoked_at, lastUsedAt: row.last_used_at, token: nil)
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// IPv4 addresses and CIDR blocks for provider allow-lists.
enum IPAllowList {
    static func isValidEntry(_ entry: String) -> Bool { parse(entry) != nil }

    static func contains(_ entries: [String], _ ip: String) -> Bool {
        guard let address = ipv4(ip) else { return false }
        return entries.contains { entry in
            guard let (network, bits) = parse(entry) else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - UInt32(bits))
            return address & mask == network & mask
        }
    }

    private static func parse(_ entry: String) -> (UInt32, Int)? {
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let network = ipv4(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (network, 32) }
        guard let bits = Int(parts[1]), (0...32).contains(bits) else { return nil }
        return (network, bits)
    }

    private static func ipv4(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
