import Crypto
import Domain
public import Foundation
import Logging
public import SQLKit
import Storage

/// `Idempotency-Key` (REFERENCE.md): the first response for a key is stored and replayed; the same key with a
/// different request is 422; a duplicate while the first is still running is 409. A request that fails gives
/// its key back, so it can be retried.
///
/// A request cut off by a crash leaves its key claimed with no response. A retry more than `abandonedAfter`
/// later takes the key over and runs again as a recovery: an operation that marked what it created (`mark`, in
/// the same transaction as the effect) resumes from it instead of doing it twice, so the client gets the answer
/// the first attempt would have given.
public enum Idempotency {
    public struct Stored: Sendable {
        public let status: Int
        public let body: Data
        public let replayed: Bool
    }

    /// One run of a keyed request.
    public struct Attempt: Sendable {
        public let accountId: String
        public let key: String
        /// What an earlier, interrupted attempt created (`checkout:ID`, `payout:ID`), when this is a recovery.
        public let recovered: String?

        /// Records what this attempt created; call it inside the transaction that creates it.
        public func mark(_ resource: String, on db: any SQLDatabase) async throws {
            try await IdempotencyStore.mark(accountId: accountId, key: key, resource: resource, on: db)
        }

        /// The id of an earlier attempt's resource of this kind (`checkout`, `payout`).
        public func recovered(_ kind: String) -> String? {
            guard let recovered, recovered.hasPrefix(kind + ":") else { return nil }
            return String(recovered.dropFirst(kind.count + 1))
        }
    }

    /// Longer than any request can run (provider calls time out after 10 s), so a claim this old was cut off.
    public static let abandonedAfterMillis: Int64 = 30_000

    public static func run(
        key rawKey: String?, accountId: String, request: String, body: Data, platform: Platform,
        operation: (Attempt) async throws -> (status: Int, body: Data)
    ) async throws -> Stored {
        guard let rawKey else {
            throw Problem(
                type: "idempotency-key-required", status: 400, title: "Idempotency-Key required",
                detail: "Send an Idempotency-Key header (a UUID) with requests that create orders or move money.")
        }
        let key = try TextInput.singleLine(maximumLength: 100).validate(rawKey)
        // The key is stored as sent (so a retry finds it): it must not carry a card number (2.4.2). The detector
        // skips UUIDs, which is what clients are asked for.
        guard !CardNumberDetector.containsCardNumber(key) else {
            throw Problem(
                type: "card-number-refused", status: 422, title: "Card numbers are not accepted",
                detail: "The Idempotency-Key must not contain a card number: send a UUID.", field: "Idempotency-Key")
        }
        let fingerprint = Hex.encode(SHA256.hash(data: Data((request + "\n").utf8) + body))
        let db = platform.db.sql
        let now = platform.now
        // Writes go through transactions so that they share durable commits with other requests (group commit).
        var attempt = Attempt(accountId: accountId, key: key, recovered: nil)
        if try await !platform.db.transaction({ db in
            try await IdempotencyStore.claim(accountId: accountId, key: key, fingerprint: fingerprint, now: now, on: db)
        }) {
            guard let stored = try await IdempotencyStore.find(accountId: accountId, key: key, on: db) else {
                throw Problem.conflict("This Idempotency-Key is being released; try again.")
            }
            guard stored.fingerprint == fingerprint else {
                throw Problem.invalid("Idempotency-Key", "This key was used for a different request.")
            }
            if let status = stored.status_code, let body = stored.response_body {
                return Stored(status: Int(status), body: body, replayed: true)
            }
            guard stored.created_at < now - abandonedAfterMillis,
                try await platform.db.transaction({ db in
                    try await IdempotencyStore.takeOver(
                        accountId: accountId, key: key, claimedAt: stored.created_at, now: now, on: db)
                })
            else { throw Problem.conflict("A request with this Idempotency-Key is still running.") }
            platform.logger.notice("recovering an interrupted request", metadata: ["request": "\(request)"])
            attempt = Attempt(accountId: accountId, key: key, recovered: stored.resource)
        }
        do {
            let result = try await operation(attempt)
            try await platform.db.transaction { db in
                try await IdempotencyStore.complete(
                    accountId: accountId, key: key, status: result.status, body: result.body, on: db)
            }
            return Stored(status: result.status, body: result.body, replayed: false)
        } catch {
            // A key that created something keeps it (a retry resumes from it); one that did nothing is freed.
            try? await platform.db.transaction { db in
                try await IdempotencyStore.release(accountId: accountId, key: key, on: db)
            }
            throw error
        }
    }
}
