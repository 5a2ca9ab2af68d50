import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A small SMTP relay on a real socket for the tests: EHLO, optional STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
/// It records what arrived and can refuse recipients, so the client is tested over the wire, not against a mock.
final class SMTPRelay: Sendable {
    struct Mail: Sendable {
        var from = ""
        var recipients: [String] = []
        var data = ""
        var credentials: String?
        var overTLS = false
    }

    /// What the relay does at RCPT: accept, refuse for now (451, the next `n` times), or refuse for good (550).
    enum Recipients: Sendable {
        case accept
        case refuseTemporarily(Int)
        case refusePermanently
    }

    let mails = Mutex<[Mail]>([])
    let connections = Mutex(0)
    /// Every AUTH line seen, with whether it came over TLS.
    let authAttempts = Mutex<[Bool]>([])
    let recipients: Mutex<Recipients>
    let tls: NIOSSLContext?

    init(tls: NIOSSLContext? = nil, recipients: Recipients = .accept) {
        self.tls = tls
        self.recipients = Mutex(recipients)
    }

    /// Runs the relay on 127.0.0.1 for the duration of `body`, which gets its port.
    func run<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = server.channel.localAddress?.port else {
            throw TestFailure(description: "the relay has no port")
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            connections.addTask { try? await self.serve(connection) }
                        }
                    }
                }
            }
            do {
                let result = try await body(port)
                try? await server.channel.close()
                try await group.waitForAll()
                return result
            } catch {
                try? await server.channel.close()
                group.cancelAll()
                throw error
            }
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        connections.withLock { $0 += 1 }
        try await connection.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            var pending = ""
            var mail = Mail()
            var overTLS = false
            func reply(_ text: String) async throws { try await outbound.write(ByteBuffer(string: text + "\r\n")) }
            func nextLine() async throws -> String? {
                while true {
                    if let end = pending.range(of: "\r\n") {
                        defer { pending.removeSubrange(..<end.upperBound) }
                        return String(pending[..<end.lowerBound])
                    }
                    guard var buffer = try await lines.next() else { return nil }
                    pending += buffer.readString(length: buffer.readableBytes) ?? ""
                }
            }
            try await reply("220 relay.test ESMTP")
            while let line = try await nextLine() {
                let verb = line.prefix(4).uppercased()
                switch verb {
                case "EHLO":
                    var features = ["250-relay.test", "250-AUTH PLAIN"]
                    if tls != nil && !overTLS { features.append("250-STARTTLS") }
                    features.append("250 8BITMIME")
                    try await reply(features.joined(separator: "\r\n"))
                case "STAR":
                    guard let tls, !overTLS else {
                        try await reply("502 not offered")
                        continue
                    }
                    try await reply("220 go ahead")
                    try await connection.channel.pipeline.addHandler(
                        NIOSSLServerHandler(context: tls), position: .first
                    )
                    .get()
                    overTLS = true
                case "AUTH":
                    authAttempts.withLock { $0.append(overTLS) }
                    let token = line.split(separator: " ").last.map(String.init) ?? ""
                    mail.credentials = Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) }
                    try await reply("235 ok")
                case "MAIL":
                    mail.from = String(line.dropFirst("MAIL FROM:".count))
                    try await reply("250 ok")
                case "RCPT":
                    let answer = recipients.withLock { state -> String in
                        switch state {
                        case .accept: return "250 ok"
                        case .refusePermanently: return "550 no such user \(line.dropFirst(8))"
                        case .refuseTemporarily(let n):
                            state = n > 1 ? .refuseTemporarily(n - 1) : .accept
                            return "451 try later"
                        }
                    }
                    if answer.hasPrefix("250") { mail.recipients.append(String(line.dropFirst("RCPT TO:".count))) }
                    try await reply(answer)
                case "DATA":
                    try await reply("354 go on")
                    var data: [String] = []
                    while let dataLine = try await nextLine(), dataLine != "." {
                        data.append(dataLine.hasPrefix(".") ? String(dataLine.dropFirst()) : dataLine)
                    }
                    mail.data = data.joined(separator: "\r\n")
                    mail.overTLS = overTLS
                    let done = mail
                    mails.withLock { $0.append(done) }
                    mail = Mail()
                    try await reply("250 queued")
                case "QUIT":
                    try await reply("221 bye")
                    return
                default:
                    try await reply("500 what")
                }
            }
        }
    }
}

extension SMTPRelay.Mail {
    /// The header's value, with RFC 2047 base64 words decoded.
    func header(_ name: String) -> String? {
        guard
            let line = data.components(separatedBy: "\r\n").first(where: {
                $0.lowercased().hasPrefix(name.lowercased() + ": ")
            })
        else { return nil }
        let value = String(line.dropFirst(name.count + 2))
        if value.hasPrefix("=?UTF-8?B?"), value.hasSuffix("?=") {
            let encoded = value.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return Data(base64Encoded: String(encoded)).flatMap { String(data: $0, encoding: .utf8) }
        }
        return value
    }

    /// The base64 body, decoded.
    var body: String? {
        guard let split = data.range(of: "\r\n\r\n") else { return nil }
        let encoded = data[split.upperBound...].replacingOccurrences(of: "\r\n", with: "")
        return Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) }
    }
}

/// A throwaway certificate for `localhost` made with the openssl tool, and the relay's TLS context for it.
struct TestCertificate {
    let pem: String
    let context: NIOSSLContext

    static func make() throws -> TestCertificate {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else {
            throw TestFailure(description: "openssl could not make a certificate")
        }
        let pem = try String(contentsOfFile: dir + "/cert.pem", encoding: .utf8)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(dir + "/cert.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: dir + "/key.pem", format: .pem)))
        return TestCertificate(pem: pem, context: try NIOSSLContext(configuration: configuration))
    }
}
