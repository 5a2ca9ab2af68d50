import Domain
import Foundation
import Privacy
import SQLKit
import Storage
import Synchronization

/// Sends e-mail (an SMTP relay in production, the outbox in development, demo and tests).
public protocol EmailSender: Sendable {
    func send(to address: String, subject: String, body: String) async throws
}

/// Keeps e-mails instead of sending them, so they can be read in development and checked in tests.
public final class EmailOutbox: EmailSender {
    private let mails = Mutex<[String: [String]]>([:])

    public init() {}

    public func send(to address: String, subject: String, body: String) async throws {
        mails.withLock { $0[address, default: []].append(subject + "\n\n" + body) }
    }

    public func mails(to address: String) -> [String] { mails.withLock { $0[address] ?? [] } }
}

/// Hands notices to a push or messaging provider over HTTP (the webhook channel); the provider reaches the person
/// by their account id, so no contact detail leaves the platform with the notice.
public protocol NoticeWebhook: Sendable {
    func deliver(_ notice: WebhookNotice) async throws
}

/// What the webhook channel sends: the notice and whom it is for, by account id only.
public struct WebhookNotice: Codable, Sendable, Equatable {
    public let id: String
    public let recipientId: String
    public let subject: String
    public let body: String
    public let reference: String
    public let createdAt: Int64

    public init(id: String, recipientId: String, subject: String, body: String, reference: String, createdAt: Int64) {
        self.id = id
        self.recipientId = recipientId
        self.subject = subject
        self.body = body
        self.reference = reference
        self.createdAt = createdAt
    }
}

/// The notification outbox: notices are written in the transaction that decides them and delivered by a background
/// service over each channel (in-app inbox, SMS, e-mail, webhook), with retries and a delivery record per attempt.
public enum Notifications {
    public enum Channel: String, Sendable, CaseIterable { case inbox, sms, email, webhook }
    static let maxAttempts = 6
    /// Seconds before each retry: 1 minute, then 5, 15, 60, 240.
    static let backoffSeconds: [Int64] = [60, 300, 900, 3_600, 14_400]

    /// Queues a notice to a person on every channel they can be reached by; returns the inbox notification's id.
    static func enqueue(
        to account: AccountRow, subject: String, body: String, reference: String, platform: Platform,
        on db: any SQLDatabase
    ) async throws -> String {
        var channels: [Channel] = [.inbox]
        channels.append(account.login_kind == "phone" ? .sms : .email)
        if platform.noticeWebhook != nil { channels.append(.webhook) }
        let key = try await SubjectKeys.keyForWriting(subject: account.id, platform: platform, on: db)
        var inbox = ""
        for channel in channels {
            let id = Identifiers.make()
            if channel == .inbox { inbox = id }
            try await NotificationStore.insert(
                NotificationRow(
                    id: id, recipient_id: account.id, channel: channel.rawValue, subject: subject,
                    body_cipher: try FieldCipher.seal(
                        body, key: key, context: FieldContext(table: "notifications", column: "body_cipher", row: id)),
                    reference: reference, now: platform.now), on: db)
        }
        return inbox
    }

    /// Delivers what is due; a failed attempt is retried with backoff. Returns the number delivered.
    @discardableResult
    public static func deliverDue(platform: Platform, limit: Int = 500) async throws -> Int {
        let db = platform.db.sql
        var delivered = 0
        for row in try await NotificationStore.due(now: platform.now, limit: limit, on: db) {
            do {
                try await deliver(row, platform: platform)
                try await NotificationStore.delivered(id: row.id, now: platform.now, on: db)
                delivered += 1
            } catch {
                let wait = backoffSeconds[min(row.attempts, backoffSeconds.count - 1)]
                try await NotificationStore.failed(
                    id: row.id, error: String(describing: type(of: error)), retryAt: platform.now + wait * 1000,
                    maxAttempts: maxAttempts, on: db)
            }
        }
        return delivered
    }

    private static func deliver(_ row: NotificationRow, platform: Platform) async throws {
        let db = platform.db.sql
        guard let account = try await AccountStore.find(id: row.recipient_id, on: db) else {
            throw Problem.notFound("The recipient")
        }
        let key = try await SubjectKeys.key(subject: account.id, platform: platform, on: db)
        let body = try FieldCipher.open(
            row.body_cipher, key: key, context: FieldContext(table: "notifications", column: "body_cipher", row: row.id)
        )
        switch Channel(rawValue: row.channel) {
        case .inbox:
            try await SecurityNoticeStore.insert(
                SecurityNoticeRow(
                    id: row.id, account_id: account.id, kind: "incident", message: row.subject + "\n" + body,
                    created_at: platform.now), on: db)
        case .sms:
            let login = try AccountFields.open(
                account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
            try await platform.textMessages.send(to: login, text: "【Covenant】\(row.subject)：\(row.reference)")
        case .email:
            let login = try AccountFields.open(
                account.login_cipher, column: "login_cipher", accountId: account.id, key: key)
            try await platform.emails.send(to: login, subject: row.subject, body: body)
        case .webhook:
            guard let webhook = platform.noticeWebhook else { throw Problem.internalError }
            try await webhook.deliver(
                WebhookNotice(
                    id: row.id, recipientId: account.id, subject: row.subject, body: body, reference: row.reference,
                    createdAt: row.created_at))
        case nil:
            throw Problem.internalError
        }
    }
}
