import Foundation
import Hummingbird
import Providers
import Storage
import Synchronization
import Testing

@testable import Marketplace

/// Clause 2.3.6: breach notices leave by e-mail over SMTP and by signed webhook, over real sockets, with the
/// outbox's retries and delivery records; nothing about the person leaks into errors.
@Suite("Notice channels: SMTP and webhook")
struct NoticeChannelTests {
    static let subject = "个人信息安全事件通知 / Notice of a personal-information incident"
    static let body = "您的手机号可能已泄露。\n.a line that starts with a dot\n请联系 security@covenant.example"

    func sender(port: Int, security: SMTPSender.Security, trust: String? = nil, user: String? = nil)
        -> SMTPSender
    {
        SMTPSender(
            .init(
                host: "localhost", port: port, security: security, username: user,
                password: user == nil ? nil : "relay-password-1", from: "security@covenant.example",
                trustRootsPEM: trust, timeout: .seconds(10)))
    }

    @Test("2.3.6: an e-mail reaches the relay intact — UTF-8 subject and body, a leading dot kept, envelope right")
    func plainDelivery() async throws {
        let relay = SMTPRelay()
        try await relay.run { port in
            try await sender(port: port, security: .none).send(
                to: "victim@mail.example", subject: Self.subject, body: Self.body)
        }
        let mail = try #require(relay.mails.withLock { $0.first })
        #expect(mail.from == "<security@covenant.example>" && mail.recipients == ["<victim@mail.example>"])
        #expect(mail.header("Subject") == Self.subject)
        #expect(mail.header("To") == "<victim@mail.example>")
        #expect(mail.header("Content-Type") == "text/plain; charset=UTF-8")
        #expect(mail.body == Self.body)
        #expect(!mail.overTLS && mail.credentials == nil)
    }

    @Test("2.3.6: STARTTLS upgrades the connection before AUTH PLAIN; the relay's certificate is checked")
    func startTLS() async throws {
        let certificate = try TestCertificate.make()
        let relay = SMTPRelay(tls: certificate.context)
        try await relay.run { port in
            try await sender(port: port, security: .startTLS, trust: certificate.pem, user: "notices").send(
                to: "victim@mail.example", subject: Self.subject, body: Self.body)
            // a relay whose certificate we do not trust gets nothing
            await #expect(throws: (any Error).self) {
                try await sender(port: port, security: .startTLS, user: "notices").send(
                    to: "other@mail.example", subject: Self.subject, body: Self.body)
            }
        }
        let mails = relay.mails.withLock { $0 }
        #expect(mails.count == 1)
        #expect(mails.first?.overTLS == true && mails.first?.credentials == "\0notices\0relay-password-1")
        #expect(mails.first?.body == Self.body)
        #expect(relay.authAttempts.withLock { $0 } == [true], "credentials only ever crossed TLS")
    }

    @Test("2.3.6: refusals — header injection never connects, credentials never go in clear, a 550 names no one")
    func refusals() async throws {
        let relay = SMTPRelay(recipients: .refusePermanently)
        try await relay.run { port in
            let plain = sender(port: port, security: .none)
            await #expect(throws: SMTPFailure.self) {
                try await plain.send(to: "a@b.example>\r\nBcc: <x@y.example", subject: "s", body: "b")
            }
            #expect(relay.connections.withLock { $0 } == 0)
            // credentials without TLS: refused before AUTH is sent
            await #expect(throws: SMTPFailure.self) {
                try await sender(port: port, security: .none, user: "notices").send(
                    to: "victim@mail.example", subject: "s", body: "b")
            }
            #expect(relay.authAttempts.withLock { $0 }.isEmpty)
            // STARTTLS required but not offered: nothing is sent
            await #expect(throws: SMTPFailure.self) {
                try await sender(port: port, security: .startTLS, user: "notices").send(
                    to: "victim@mail.example", subject: "s", body: "b")
            }
            do {
                try await plain.send(to: "victim@mail.example", subject: "s", body: "b")
                Issue.record("a 550 was taken for delivery")
            } catch let failure as SMTPFailure {
                #expect(failure.stage == "RCPT" && failure.code == 550)
                #expect(!String(describing: failure).contains("victim"), "the relay's echo of the address is dropped")
            }
        }
        #expect(relay.mails.withLock { $0 }.isEmpty)
    }

    /// Receives webhook notices over HTTP, checking each signature; answers 503 to the first `failures`.
    final class WebhookReceiver: Sendable {
        let secret = Data((0..<32).map { UInt8($0) })
        let received = Mutex<[WebhookNotice]>([])
        let badSignatures = Mutex(0)
        let failures = Mutex(1)

        func application(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
            let router = Router()
            router.post("hook") { request, _ -> HTTPResponse.Status in
                let body = Data(buffer: try await request.body.collect(upTo: 1 << 16))
                guard let timestamp = request.headers[.init("X-Covenant-Timestamp")!],
                    let signature = request.headers[.init("X-Covenant-Signature")!],
                    WireSignature.isValid(body: body, timestamp: timestamp, signature: signature, secret: self.secret),
                    WireSignature.isFresh(timestamp, now: Date())
                else {
                    self.badSignatures.withLock { $0 += 1 }
                    return .unauthorized
                }
                let fail = self.failures.withLock { left in
                    defer { left -= 1 }
                    return left > 0
                }
                if fail { return .serviceUnavailable }
                let notice = try JSONDecoder().decode(WebhookNotice.self, from: body)
                self.received.withLock { $0.append(notice) }
                return .noContent
            }
            return Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { await onRunning($0.localAddress?.port ?? 0) })
        }
    }

    @Test(
        "2.3.6: a notice goes to the inbox, the SMTP relay and the webhook; failures retry; deliveries recorded",
        arguments: Backend.available)
    func throughTheOutbox(backend: Backend) async throws {
        let relay = SMTPRelay(recipients: .refuseTemporarily(1))
        let receiver = WebhookReceiver()
        try await relay.run { smtpPort in
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let hookApp = receiver.application { continuation.yield($0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await hookApp.runService(gracefulShutdownSignals: []) }
                defer { group.cancelAll() }
                var iterator = ports.makeAsyncIterator()
                let hookPort = try #require(await iterator.next())
                try await TestPlatform.with(backend) { env in
                    var platform = env.platform
                    platform.emails = sender(port: smtpPort, security: .none)
                    platform.noticeWebhook = HTTPNoticeWebhook(
                        url: "http://127.0.0.1:\(hookPort)/hook", secret: receiver.secret)
                    let id = try await env.withClient { client in
                        let token = try await client.newSession(login: "victim@mail.example")
                        return try #require(
                            try await client.send(.get, "/api/v1/me", token: token).json["id"] as? String)
                    }
                    let account = try #require(try await AccountStore.find(id: id, on: platform.db.sql))
                    let inbox = try await Notifications.enqueue(
                        to: account, subject: Self.subject, body: Self.body, reference: "incident:drill",
                        platform: platform, on: platform.db.sql)

                    #expect(try await Notifications.deliverDue(platform: platform) == 1, "inbox; relay 451, hook 503")
                    env.clock.advance(seconds: 61)
                    #expect(try await Notifications.deliverDue(platform: platform) == 2, "e-mail and webhook, retried")

                    let rows = try await NotificationStore.forReference("incident:drill", on: platform.db.sql)
                    #expect(Set(rows.map(\.channel)) == ["inbox", "email", "webhook"])
                    #expect(rows.allSatisfy { $0.status == "delivered" && $0.delivered_at != nil })
                    #expect(rows.filter { $0.channel != "inbox" }.allSatisfy { $0.attempts == 2 })
                    #expect(rows.first { $0.channel == "inbox" }?.id == inbox)
                    let mail = try #require(relay.mails.withLock { $0.first })
                    #expect(mail.recipients == ["<victim@mail.example>"] && mail.body == Self.body)
                    let notice = try #require(receiver.received.withLock { $0.first })
                    #expect(
                        notice.recipientId == id && notice.body == Self.body && notice.reference == "incident:drill")
                    #expect(receiver.badSignatures.withLock { $0 } == 0)
                    // the webhook carries the account id, never the person's login
                    let wire = String(decoding: try JSONEncoder().encode(notice), as: UTF8.self)
                    #expect(!wire.contains("victim@mail.example"))
                }
            }
        }
    }

    @Test("2.3.6: the relay and webhook settings are parsed and checked before the platform starts")
    func configuration() throws {
        let starttls = try SMTPSender.Configuration.parse(
            url: "smtp://notices:p%40ss@relay.example:2525?starttls", from: "security@covenant.example")
        #expect(starttls.host == "relay.example" && starttls.port == 2525 && starttls.security == .startTLS)
        #expect(starttls.username == "notices" && starttls.password == "p@ss")
        let implicit = try SMTPSender.Configuration.parse(url: "smtps://relay.example", from: "a@b.example")
        #expect(implicit.security == .tls && implicit.port == 465)
        #expect(throws: SMTPFailure.self) { try SMTPSender.Configuration.parse(url: "http://x", from: "a@b.example") }
        #expect(!SMTPSender.isSafeAddress("no-at-sign") && !SMTPSender.isSafeAddress("a b@c.example"))
        #expect(SMTPSender.isSafeAddress("victim@mail.example"))
    }
}
