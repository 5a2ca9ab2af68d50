import Crypto
import Domain
public import Foundation
import Storage

/// `Idempotency-Key` (REFERENCE.md): the first response for a key is stored and replayed; the same key with a
/// different request is 422; a duplicate while the first is still running is 409. A request that fails gives
/// its key back, so it can be retried.
public enum Idempotency {
    public struct Stored: Sendable {
        public let status: Int
        public let body: Data
        public let replayed: Bool
    }

    public static func run(
        key rawKey: String?, accountId: String, request: String, body: Data, platform: Platform,
        operation: () async throws -> (status: Int, body: Data)
    ) async throws -> Stored {
        guard let rawKey else {
            throw Problem(
                type: "idempotency-key-required", status: 400, title: "Idempotency-Key required",
                detail: "Send an Idempotency-Key header (a UUID) with requests that create orders or move money.")
        }
        let key = try TextInput.singleLine(maximumLength: 100).validate(rawKey)
        let fingerprint = Hex.encode(SHA256.hash(data: Data((request + "\n").utf8) + body))
        let db = platform.db.sql
        let now = platform.now
        // Writes go through transactions so that they share durable commits with other requests (group commit).
        guard
            try await platform.db.transaction({ db in
                try await IdempotencyStore.claim(
                    accountId: accountId, key: key, fingerprint: fingerprint, now: now, on: db)
            })
        else {
            guard let stored = try await IdempotencyStore.find(accountId: accountId, key: key, on: db) else {
                throw Problem.conflict("This Idempotency-Key is being released; try again.")
            }
            guard stored.fingerprint == fingerprint else {
                throw Problem.invalid("Idempotency-Key", "This key was used for a different request.")
            }
            guard let status = stored.status_code, let body = stored.response_body else {
                throw Problem.conflict("A request with this Idempotency-Key is still running.")
            }
            return Stored(status: Int(status), body: body, replayed: true)
        }
        do {
            let result = try await operation()
            try await platform.db.transaction { db in
                try await IdempotencyStore.complete(
                    accountId: accountId, key: key, status: result.status, body: result.body, on: db)
            }
            return Stored(status: result.status, body: result.body, replayed: false)
        } catch {
            try? await platform.db.transaction { db in
                try await IdempotencyStore.release(accountId: accountId, key: key, on: db)
            }
            throw error
        }
    }
}
