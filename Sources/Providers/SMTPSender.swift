public import Foundation
public import Marketplace
public import NIOCore
import NIOPosix
public import NIOSSL

/// Sends e-mail through an SMTP relay (RFC 5321): plain, STARTTLS (RFC 3207) or implicit TLS, with AUTH PLAIN
/// (RFC 4954) only over TLS. Bodies travel as base64 UTF-8 and subjects as RFC 2047 words, so no content can
/// break the protocol or inject headers. Errors carry the command and reply code, never the reply text (a relay
/// may echo the recipient's address back).
public struct SMTPSender: EmailSender {
    public enum Security: String, Sendable { case none, startTLS, tls }

    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var security: Security
        public var username: String?
        public var password: String?
        public var from: String
        /// The name given in EHLO.
        public var clientName: String
        /// Extra trust anchors (PEM) for a relay with a private CA; the system's roots otherwise.
        public var trustRootsPEM: String?
        public var timeout: TimeAmount

        public init(
            host: String, port: Int, security: Security, username: String? = nil, password: String? = nil,
            from: String, clientName: String = "covenant.local", trustRootsPEM: String? = nil,
            timeout: TimeAmount = .seconds(15)
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.username = username
            self.password = password
            self.from = from
            self.clientName = clientName
            self.trustRootsPEM = trustRootsPEM
            self.timeout = timeout
        }

        /// `smtp://[user:password@]host[:port][?starttls]` or `smtps://…` (implicit TLS, port 465 by default).
        public static func parse(url: String, from: String) throws -> Configuration {
            guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
                throw SMTPFailure(stage: "configuration", code: nil)
            }
            let security: Security
            switch parts.scheme?.lowercased() {
            case "smtps": security = .tls
            case "smtp":
                security = (parts.queryItems ?? []).contains { $0.name == "starttls" } ? .startTLS : .none
            default: throw SMTPFailure(stage: "configuration", code: nil)
            }
            return Configuration(
                host: host, port: parts.port ?? (security == .tls ? 465 : 587), security: security,
                username: parts.user?.removingPercentEncoding, password: parts.password?.removingPercentEncoding,
                from: from)
        }
    }

    let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    public func send(to address: String, subject: String, body: String) async throws {
        guard Self.isSafeAddress(address), Self.isSafeAddress(configuration.from) else {
            throw SMTPFailure(stage: "address", code: nil)
        }
        let message = Self.message(from: configuration.from, to: address, subject: subject, body: body)
        try await Self.withTimeout(configuration.timeout) {
            try await self.converse(to: address, message: message)
        }
    }

    private func converse(to address: String, message: String) async throws {
        let config = configuration
        let tls = try config.security == .none ? nil : Self.tlsContext(config)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(config.timeout)
            .connect(host: config.host, port: config.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if config.security == .tls, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(config.host)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var session = SMTPSession(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            try await session.expect(220, stage: "greeting")
            var features = try await session.command("EHLO \(config.clientName)", expect: 250, stage: "EHLO")
            if config.security == .startTLS {
                guard features.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }), let tls else {
                    throw SMTPFailure(stage: "STARTTLS not offered", code: nil)
                }
                _ = try await session.command("STARTTLS", expect: 220, stage: "STARTTLS")
                try await channel.channel.pipeline.addHandler(
                    NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(config.host)), position: .first
                ).get()
                features = try await session.command("EHLO \(config.clientName)", expect: 250, stage: "EHLO")
            }
            if let user = config.username, let password = config.password {
                // Credentials never cross an unencrypted connection.
                guard config.security != .none else { throw SMTPFailure(stage: "AUTH needs TLS", code: nil) }
                let token = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(token)", expect: 235, stage: "AUTH")
            }
            _ = try await session.command("MAIL FROM:<\(config.from)>", expect: 250, stage: "MAIL")
            _ = try await session.command("RCPT TO:<\(address)>", expect: 250, alsoAccept: [251], stage: "RCPT")
            _ = try await session.command("DATA", expect: 354, stage: "DATA")
            _ = try await session.command(message + "\r\n.", expect: 250, stage: "message")
            _ = try? await session.command("QUIT", expect: 221, stage: "QUIT")
        }
    }

    /// RFC 5322 message with a base64 UTF-8 body (lines of 76) and an RFC 2047 subject.
    static func message(from: String, to: String, subject: String, body: String) -> String {
        let encodedSubject = "=?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?="
        let lines = Data(body.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn,
            .endLineWithLineFeed,
        ])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let date = formatter.string(from: Date())
        let domain = from.split(separator: "@").last.map(String.init) ?? "covenant.local"
        return [
            "From: <\(from)>", "To: <\(to)>", "Subject: \(encodedSubject)", "Date: \(date)",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64", "", lines,
        ].joined(separator: "\r\n")
    }

    /// An address is safe in an SMTP command and a header if it has one `@` and nothing that ends or splits them.
    public static func isSafeAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && address.utf8.count <= 254
            && !address.unicodeScalars.contains { $0.value < 0x21 || $0 == "<" || $0 == ">" || $0.value == 0x7F }
    }

    static func tlsContext(_ config: Configuration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let pem = config.trustRootsPEM {
            tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))]
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// SNI carries host names only, never IP literals (RFC 6066 §3).
    static func sniName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }
}

/// Why an e-mail could not be handed to the relay: the stage and the relay's reply code, nothing personal.
public struct SMTPFailure: Error, CustomStringConvertible {
    public let stage: String
    public let code: Int?
    public var description: String { "SMTP \(stage) failed" + (code.map { " (reply \($0))" } ?? "") }
}

/// One SMTP conversation: commands out, replies (possibly multi-line) in.
struct SMTPSession {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var pending = ""

    /// Sends a command line (a message's lines are dot-stuffed) and reads the reply; returns its text lines.
    mutating func command(_ line: String, expect code: Int, alsoAccept: Set<Int> = [], stage: String) async throws
        -> [String]
    {
        let stuffed = line.split(separator: "\r\n" as Character, omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") && $0 != "." ? "." + $0 : String($0) }.joined(separator: "\r\n")
        try await outbound.write(ByteBuffer(string: stuffed + "\r\n"))
        return try await expect(code, alsoAccept: alsoAccept, stage: stage)
    }

    @discardableResult
    mutating func expect(_ code: Int, alsoAccept: Set<Int> = [], stage: String) async throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try await nextLine(stage: stage)
            guard line.count >= 3, let got = Int(line.prefix(3)) else { throw SMTPFailure(stage: stage, code: nil) }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                guard got == code || alsoAccept.contains(got) else { throw SMTPFailure(stage: stage, code: got) }
                return lines
            }
        }
    }

    private mutating func nextLine(stage: String) async throws -> String {
        while true {
            if let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                return line
            }
            guard pending.utf8.count < 64 * 1024, var buffer = try await inbound.next() else {
                throw SMTPFailure(stage: stage + ": connection closed", code: nil)
            }
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
        }
    }
}

extension SMTPSender {
    /// Runs `work`, giving up after `timeout`.
    static func withTimeout<T: Sendable>(_ timeout: TimeAmount, _ work: @escaping @Sendable () async throws -> T)
        async throws
        -> T
    {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(timeout.nanoseconds, 0)))
                throw SMTPFailure(stage: "timeout", code: nil)
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() else { throw SMTPFailure(stage: "timeout", code: nil) }
            return result
        }
    }
}
