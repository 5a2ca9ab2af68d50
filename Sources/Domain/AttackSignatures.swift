public import Foundation

// Application-level intrusion detection (clause 2.2): signatures of injection, traversal and scanners in the
// manner of the OWASP Core Rule Set — each matching rule adds to an anomaly score; a request at or above the
// threshold is refused. Pure: the shield middleware feeds it the request's parts.

/// One signature that matched, and how much it weighs.
public struct AttackMatch: Sendable, Equatable {
    public let rule: String
    public let attackClass: AttackClass
    public let score: Int
}

public enum AttackClass: String, Sendable, Codable, CaseIterable {
    case sqlInjection = "sql_injection"
    case crossSiteScripting = "xss"
    case pathTraversal = "path_traversal"
    case commandInjection = "command_injection"
    case scanner
    case protocolAttack = "protocol"
}

public enum AttackSignatures {
    /// CRS's default inbound anomaly threshold: one critical match (5) blocks.
    public static let threshold = 5
    static let critical = 5
    static let inspectedHeaders: Set<String> = ["user-agent", "referer", "x-forwarded-host", "x-api-version", "cookie"]
    /// Fields never inspected: a password may hold any characters, and sign-in abuse is caught by counting.
    static let uninspected: Set<String> = ["password", "currentPassword", "newPassword"]

    /// The request's parts as the shield sees them. Values are inspected after URL- and entity-decoding.
    public struct Input: Sendable {
        public let path: String
        public let query: String
        public let headers: [(name: String, value: String)]
        public let body: String

        public init(path: String, query: String, headers: [(name: String, value: String)], body: String) {
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// Every signature that matches, over every part of the request.
    public static func inspect(_ input: Input) -> [AttackMatch] {
        var matches: [AttackMatch] = []
        var seen = Set<String>()
        func add(_ found: [AttackMatch]) {
            for match in found where seen.insert(match.rule).inserted { matches.append(match) }
        }
        let path = normalise(input.path)
        add(pathRules(path))
        add(valueRules(path))
        add(valueRules(normalise(input.query)))
        for line in input.body.split(separator: "\n", omittingEmptySubsequences: true) {
            add(valueRules(normalise(String(line))))
        }
        for header in input.headers {
            let name = header.name.lowercased()
            if name == "user-agent" { add(scannerAgents(header.value.lowercased())) }
            // Headers that carry data an attacker controls and a server might log or reflect.
            if inspectedHeaders.contains(name) {
                add(
                    valueRules(normalise(header.value), header: true).filter {
                        $0.attackClass != .crossSiteScripting || name != "cookie"
                    })
            }
        }
        return matches
    }

    public static func score(_ matches: [AttackMatch]) -> Int { matches.map(\.score).reduce(0, +) }

    /// The text of a body to inspect: a JSON body's keys and string values, one per line (so that JSON's own
    /// quotes are not mistaken for an attack's), passwords left out; any other body as it is.
    public static func bodyText(_ data: Data, json: Bool) -> String {
        guard json, let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return String(decoding: data, as: UTF8.self)
        }
        var lines: [String] = []
        func walk(_ value: Any) {
            switch value {
            case let text as String: lines.append(text)
            case let array as [Any]: array.forEach(walk)
            case let object as [String: Any]:
                for (key, inner) in object where !uninspected.contains(key) {
                    lines.append(key)
                    walk(inner)
                }
            default: break
            }
        }
        walk(object)
        return lines.joined(separator: "\n")
    }

    /// Decodes percent-encoding (twice, for double encoding), `+`, common HTML entities and backslashes, and
    /// lower-cases, so that encodings do not hide a signature.
    static func normalise(_ text: String) -> String {
        // Most values need no decoding at all: a byte scan decides, the costly string work is skipped.
        let bytes = text.utf8
        guard bytes.contains(where: { $0 == 37 || $0 == 43 || $0 == 38 || $0 == 92 || (65...90).contains($0) })
        else { return text }
        var value = text
        for _ in 0..<2 {
            let decoded = (value.replacingOccurrences(of: "+", with: " ").removingPercentEncodingLenient)
            if decoded == value { break }
            value = decoded
        }
        if value.utf8.contains(38) {
            value = value.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#x27;", with: "'")
                .replacingOccurrences(of: "&#39;", with: "'")
        }
        return value.replacingOccurrences(of: "\\", with: "/").lowercased()
    }

    // MARK: Rules

    static func pathRules(_ path: String) -> [AttackMatch] {
        var found: [AttackMatch] = []
        let probes = [
            "/.env", "/.git/", "/wp-admin", "/wp-login", "/xmlrpc.php", "/phpmyadmin", "/.aws/", "/server-status",
            "/actuator", "/cgi-bin/", "/.ds_store", "/config.php", "/web.config", "/.htaccess", "/vendor/phpunit",
            "/boaform", "/console/", "/manager/html", "/solr/", "/etc/passwd",
        ]
        if probes.contains(where: { path.contains($0) }) {
            found.append(AttackMatch(rule: "scanner-probe-path", attackClass: .scanner, score: critical))
        }
        if path.hasSuffix(".php") || path.hasSuffix(".asp") || path.hasSuffix(".aspx") || path.hasSuffix(".jsp") {
            found.append(AttackMatch(rule: "foreign-script-extension", attackClass: .scanner, score: critical))
        }
        return found
    }

    static func scannerAgents(_ agent: String) -> [AttackMatch] {
        let scanners = [
            "sqlmap", "nikto", "nmap", "masscan", "acunetix", "wpscan", "dirbuster", "gobuster", "nessus", "openvas",
            "zgrab", "nuclei", "w3af", "havij", "burpcollaborator", "jaeles", "ffuf", "wfuzz", "arachni", "zmeu",
        ]
        guard scanners.contains(where: { agent.contains($0) }) else { return [] }
        return [AttackMatch(rule: "scanner-user-agent", attackClass: .scanner, score: critical)]
    }

    /// Characters without which no value rule can match: most values (numbers, words, Chinese text) have none,
    /// and skip the patterns entirely.
    static let suspicious: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "'\"<>;|`$(){}#%&=*".utf8 { table[Int(byte)] = true }
        table[0] = true
        return table
    }()
    /// Fragments that some rules need although they hold none of the characters above.
    static let suspiciousWords: [[UInt8]] = [
        "union", "../", "..;", "/..", "etc/", "c:/", "/proc", ".ini", "script:", "data:", "document.", "file:",
        "gopher:", "dict:", "169.254", "metadata.", "waitfor", "information_schema", "sqlite_master", "xp_cmdshell",
        "__proto__", "prototype", "/bin/",
    ].map { Array($0.utf8) }

    /// Headers such as User-Agent and Referer hold parentheses, semicolons and `=` by nature: only the rarer
    /// characters make one worth the patterns.
    static let suspiciousInHeaders: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "'\"<>|`$#{}*".utf8 { table[Int(byte)] = true }
        table[0] = true
        return table
    }()

    /// A byte-level pre-check: whether any rule could match the value.
    static func isSuspicious(_ value: String, table: [Bool]) -> Bool {
        let bytes = Array(value.utf8)
        if bytes.contains(where: { table[Int($0)] }) { return true }
        let hay = Haystack(bytes: bytes)
        return suspiciousWords.contains { hay.has(String(decoding: $0, as: UTF8.self)) }
    }

    static func valueRules(_ value: String, header: Bool = false) -> [AttackMatch] {
        guard !value.isEmpty, isSuspicious(value, table: header ? suspiciousInHeaders : suspicious) else { return [] }
        var found: [AttackMatch] = []
        func rule(_ name: String, _ attackClass: AttackClass, _ hit: Bool) {
            if hit { found.append(AttackMatch(rule: name, attackClass: attackClass, score: critical)) }
        }
        // Each pattern runs only when a fragment it cannot match without is present: most values skip them all.
        let text = Haystack(value)
        let quote = text.has("'") || text.has("\"") || text.has("`")
        let compact = text.compacted
        let compactString = String(decoding: compact.bytes, as: UTF8.self)
        // SQL injection: tautologies, UNION SELECT, stacked queries, comments after a quote, time-based probes.
        rule(
            "sqli-tautology", .sqlInjection,
            compact.has("or1=1") || compact.has("'or''='")
                || (quote && (text.has("or") || text.has("and"))
                    && (Patterns.matches(Patterns.p0, compactString) || Patterns.matches(Patterns.p1, value)))
        )
        rule(
            "sqli-union-select", .sqlInjection,
            text.has("union")
                && (Patterns.matches(Patterns.p2, value) || compact.has("unionselect")
                    || compact.has("unionallselect"))
        )
        rule(
            "sqli-stacked-or-comment", .sqlInjection,
            (quote || text.has(")"))
                && (text.has(";") || text.has("--") || text.has("#")
                    || text.has("/*"))
                && (Patterns.matches(Patterns.p3, value) || Patterns.matches(Patterns.p4, value)
                    || Patterns.matches(Patterns.p5, value))
        )
        rule(
            "sqli-functions", .sqlInjection,
            (text.has("(") || text.has("_") || text.has("waitfor") || text.has("order"))
                && Patterns.matches(Patterns.p6, value))
        rule("sqli-stacked-keyword", .sqlInjection, text.has(";") && Patterns.matches(Patterns.stacked, value))
        // Cross-site scripting.
        let angle = text.has("<")
        rule("xss-script-tag", .crossSiteScripting, angle && Patterns.matches(Patterns.p7, value))
        rule(
            "xss-event-handler", .crossSiteScripting,
            text.has("on") && text.has("=")
                && ((angle && Patterns.matches(Patterns.p8, value)) || Patterns.matches(Patterns.p9, value)))
        rule(
            "xss-javascript-uri", .crossSiteScripting,
            compact.has("javascript:") || compact.has("vbscript:") || compact.has("data:text/html")
                || text.has("document.cookie") || (text.has("alert") && Patterns.matches(Patterns.p10, value)))
        // Path traversal and local files.
        rule(
            "path-traversal", .pathTraversal,
            text.has("../") || text.bytes.suffix(3).elementsEqual("/..".utf8) || text.has("..;/")
                || text.has("etc/passwd")
                || text.has("/etc/shadow") || text.has("c:/windows") || text.has("/proc/self")
                || text.has("win.ini") || text.has("boot.ini"))
        // Command injection, template and expression injection, Log4Shell, SSRF to metadata services.
        rule(
            "command-injection", .commandInjection,
            text.has("/bin/sh") || text.has("/bin/bash")
                || (text.bytes.contains(where: { $0 == 59 || $0 == 124 || $0 == 96 || $0 == 36 || $0 == 38 })
                    && Patterns.matches(Patterns.p11, value))
        )
        rule(
            "expression-injection", .commandInjection,
            text.has("${jndi:") || text.has("${env:") || text.has("{{7*7}}")
                || text.has("${7*7}") || text.has("#{7*7}") || text.has("<%=")
                || text.has("__proto__") || text.has("constructor.prototype"))
        rule(
            "ssrf-metadata", .protocolAttack,
            text.has("169.254.169.254") || text.has("metadata.google.internal")
                || text.has("file:///") || text.has("gopher://") || text.has("dict://"))
        rule("null-byte", .protocolAttack, text.has("\u{0}") || text.has("%00"))
        return found
    }
}

/// Compiled once: NSRegularExpression matching is thread-safe.
enum Patterns {
    static let p0 = try! NSRegularExpression(pattern: #"'\s*or\s*\d+\s*=\s*\d+"#)
    static let p1 = try! NSRegularExpression(pattern: #"['"]\)?\s*(or|and)\s+\(?['"]?\w+['"]?\s*=\s*['"]?\w+"#)
    static let p2 = try! NSRegularExpression(pattern: #"union(\s+all)?\s+select"#)
    static let p3 = try! NSRegularExpression(
        pattern: #"['"`)]\s*;\s*(drop|delete|insert|update|select|shutdown|exec)\b"#)
    static let p4 = try! NSRegularExpression(pattern: #"['"]\s*(--|#)\s*$"#)
    static let p5 = try! NSRegularExpression(pattern: #"['"]\s*(--|#|/\*)"#)
    static let p6 = try! NSRegularExpression(
        pattern:
            #"\b(sleep|benchmark|pg_sleep|extractvalue|updatexml|load_file)\s*\(|\b(waitfor\s+delay|information_schema|sqlite_master|xp_cmdshell)\b|\border\s+by\s+\d+\s*(--|#)"#
    )
    static let p7 = try! NSRegularExpression(
        pattern: #"<\s*/?\s*(script|iframe|object|embed|svg|math|base|meta|link|style)\b"#)
    static let p8 = try! NSRegularExpression(pattern: #"<[^>]*\bon[a-z]{3,20}\s*="#)
    static let p9 = try! NSRegularExpression(
        pattern: #"['"\s]on(error|load|mouseover|focus|click|toggle|animationstart)\s*="#)
    static let p10 = try! NSRegularExpression(pattern: #"\balert\s*\("#)
    static let p11 = try! NSRegularExpression(
        pattern:
            #"(;|\|\||&&|\||`|\$\(|&\s)\s*(cat|ls|id|whoami|uname|wget|curl|nc|bash|sh|ping|nslookup|powershell|cmd)(\s+(https?:|[-/$~.]|\w+\.\w+)|\s*$|\s*[|;&`)])"#
    )

    static let stacked = try! NSRegularExpression(
        pattern:
            #";\s*((drop|truncate|alter|create)\s+(table|database|index|view|user)\b|delete\s+from\b|insert\s+into\b|update\s+\w+\s+set\b|shutdown\b)"#
    )

    static func matches(_ pattern: NSRegularExpression, _ text: String) -> Bool {
        pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// A value's UTF-8 bytes, searched byte by byte: Foundation's substring search costs microseconds a call here.
struct Haystack {
    let bytes: [UInt8]

    init(_ value: String) { bytes = Array(value.utf8) }
    init(bytes: [UInt8]) { self.bytes = bytes }

    func has(_ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return pattern.isEmpty }
        let first = pattern[0]
        let last = bytes.count - pattern.count
        var start = 0
        while start <= last {
            if bytes[start] == first {
                var offset = 1
                while offset < pattern.count && bytes[start + offset] == pattern[offset] { offset += 1 }
                if offset == pattern.count { return true }
            }
            start += 1
        }
        return false
    }

    /// Without blanks and inline comments, as SQL would read it ("1'/**/or/**/1=1").
    var compacted: Haystack {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 47, index + 3 < bytes.count, bytes[index + 1] == 42, bytes[index + 2] == 42,
                bytes[index + 3] == 47
            {
                index += 4
                continue
            }
            if byte != 32 && byte != 9 { out.append(byte) }
            index += 1
        }
        return Haystack(bytes: out)
    }
}

extension String {
    /// Percent-decoding that leaves invalid sequences as they are (Foundation's returns nil for the whole string).
    var removingPercentEncodingLenient: String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 48...57: byte - 48
            case 65...70: byte - 55
            case 97...102: byte - 87
            default: nil
            }
        }
        while index < iterator.count {
            if iterator[index] == 37, index + 2 < iterator.count, let high = hex(iterator[index + 1]),
                let low = hex(iterator[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(iterator[index])
                index += 1
            }
        }
        iterator = []
        return String(decoding: bytes, as: UTF8.self)
    }
}
