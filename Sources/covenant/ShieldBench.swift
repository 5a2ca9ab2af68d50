import ArgumentParser
import Domain
import Foundation

/// `covenant bench shield`: the shield's detection on the attack corpus (`tools/security/corpus/`, one file per
/// class) and its false positives on ordinary requests shaped like the demo workload (issue 9's figures).
struct ShieldBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shield", abstract: "Intrusion detection: attack corpus detection and ordinary false positives.")
    @Option(help: "The attack corpus folder.") var corpus = "tools/security/corpus"
    @Option(help: "How many ordinary requests to generate.") var ordinary = 10_000
    @Option(help: "Seed of the ordinary workload.") var seed: UInt64 = 42

    func run() async throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }.sorted()
        guard !files.isEmpty else { throw CLIFailure("no corpus files in \(corpus)") }
        say("attack corpus (\(corpus)), threshold \(AttackSignatures.threshold):")
        var worst = 100.0
        for file in files {
            let text = try String(contentsOfFile: corpus + "/" + file, encoding: .utf8)
            let requests = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
                .map(Self.parse)
            var missed: [String] = []
            for (line, input) in requests
            where AttackSignatures.score(AttackSignatures.inspect(input)) < AttackSignatures.threshold {
                missed.append(line)
            }
            let rate = 100 * Double(requests.count - missed.count) / Double(max(requests.count, 1))
            worst = min(worst, rate)
            say(String(format: "  %-22@ %3d requests, %5.1f%% detected", file as NSString, requests.count, rate))
            for line in missed { say("      missed: \(line)") }
        }
        var generator = Workload(seed: seed)
        let workload = (0..<ordinary).map { _ in generator.next() }
        var flagged: [String] = []
        let started = ContinuousClock.now
        for (line, input) in workload
        where AttackSignatures.score(AttackSignatures.inspect(input)) >= AttackSignatures.threshold {
            flagged.append(line)
        }
        let elapsed = ContinuousClock.now - started
        let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        say(
            String(
                format: "ordinary workload: %d requests, %d flagged (%.3f%%); %.1f µs per request to inspect",
                ordinary, flagged.count, 100 * Double(flagged.count) / Double(ordinary), micros / Double(ordinary)))
        for line in flagged.prefix(20) { say("      flagged: \(line)") }
        say(String(format: "lowest detection %.1f%% (target ≥ 95%%); false positives target ≤ 0.1%%", worst))
    }

    /// `METHOD TARGET [BODY]`, or `UA agent` for a GET / with that User-Agent.
    static func parse(_ line: String) -> (String, AttackSignatures.Input) {
        let browser = ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
        if line.hasPrefix("UA ") {
            return (
                line,
                AttackSignatures.Input(
                    path: "/", query: "", headers: [("User-Agent", String(line.dropFirst(3)))], body: "")
            )
        }
        // The target runs to a JSON body (" {"), or to the end: queries may hold spaces.
        let rest = line.drop { $0 != " " }.dropFirst()
        let bodyStart = rest.range(of: " {")
        let target = String(bodyStart.map { rest[..<$0.lowerBound] } ?? rest)
        let (path, query) = split(target)
        let body =
            bodyStart.map { AttackSignatures.bodyText(Data(rest[$0.upperBound...].utf8).prefixedBrace, json: true) }
            ?? ""
        return (line, AttackSignatures.Input(path: path, query: query, headers: [browser], body: body))
    }

    static func split(_ target: String) -> (String, String) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// Requests like the demo's consumers, merchants and staff send, with the awkward values real people type:
    /// apostrophes, dashes, slashes, ampersands, percentages, words like "select", "union", "drop", "order",
    /// "sleep" and "script" in ordinary text, Chinese addresses and reviews.
    struct Workload {
        var state: UInt64

        init(seed: UInt64) { state = seed | 1 }

        mutating func random(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }

        mutating func pick(_ values: [String]) -> String { values[random(values.count)] }

        static let searches = [
            "茶叶", "龙井 2024 新茶", "t-shirt", "C++ 编程", "rock & roll", "O'Neill", "1/2 inch pipe", "100% cotton",
            "sleep mask", "cat toy", "drop-down menu book", "select comfort pillow", "union jack flag",
            "order by phone",
            "script writing", "Tom & Jerry", "50% off", "kids' shoes", "men's watch", "USB-C cable 2m", "咖啡豆 (中度烘焙)",
            "手机壳 iPhone 16", "#1 bestseller", "a+b", "what's new", "don't miss", "it's here", "3*4 frame", "x=1 toy",
            "java script guide", "alert bracelet", "select", "or", "and", "name=tea", "key:value", "cat-eye glasses",
        ]
        static let names = [
            "张三", "李小龙", "王芳", "O'Brien", "D'Angelo", "Anne-Marie", "Zoë", "José", "欧阳娜娜", "Mary Jane", "Li Wei",
            "St. John", "Jean-Luc", "McDonald", "van der Berg",
        ]
        static let addresses = [
            "西湖区文三路 90 号 3 单元 501", "Room 5-3, No. 12 Lane 34", "#8 Building, 2/F", "朝阳区建国路 1 号院 2-301",
            "Apt. 7B; rear entrance", "浦东新区世纪大道 100 号（环球金融中心）", "No. 3 & 4, Industrial Park", "B1-05 (near gate)",
            "天河区体育西路 103 号之一 1201 房", "Block C / Unit 9",
        ]
        static let reviews = [
            "很好！下次还买。", "Great product, 5/5 :) would buy again", "Not as described -- returned it.",
            "It's \"OK\" for the price.", "物流很快，包装完好 👍", "Size runs small; order one size up.",
            "Works with my C# and C++ projects.", "Love it!!! <3", "Color: blue/green; fits well.",
            "Would recommend & will reorder.",
            "The sleep mask is soft; the strap could be longer.", "Drop-shipped fast, 2 days.",
            "Select the larger size if unsure.",
            "Me & my cat love it", "Price/quality = excellent", "茶香浓郁，回甘明显（第二泡最佳）", "Good; but the box was dented.",
            "1st order: perfect. 2nd order: also perfect.", "Delivered to the wrong door — fixed by support in 1 hour.",
        ]
        static let agents = [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "covenant-merchant-app/1.4 (Android 14; Xiaomi 14)",
        ]

        mutating func json(_ object: [String: Any]) -> String {
            String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
        }

        mutating func next() -> (String, AttackSignatures.Input) {
            let id = UUID().uuidString.lowercased()
            let phone = "139\(String(format: "%08d", random(100_000_000)))"
            let headers = [
                ("User-Agent", pick(Self.agents)),
                (
                    "Referer",
                    "https://shop.example/products?q=\(pick(Self.searches).addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")"
                ),
                ("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"),
            ]
            let (method, target, body): (String, String, String)
            switch random(10) {
            case 0, 1, 2:
                let query = pick(Self.searches).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                (method, target, body) = ("GET", "/api/v1/products?limit=20&offset=\(random(5) * 20)&q=\(query)", "")
            case 3: (method, target, body) = ("GET", "/api/v1/products/\(id)", "")
            case 4: (method, target, body) = ("GET", "/api/v1/products/\(id)/reviews", "")
            case 5:
                let password =
                    "\(pick(["Tea", "Blue", "夏天", "Rock&Roll", "It's"]))-\(random(10_000))!\(pick(["#", "$", "%", "'", "\""]))x"
                (method, target, body) = ("POST", "/api/v1/sessions", json(["login": phone, "password": password]))
            case 6:
                (method, target, body) = (
                    "POST", "/api/v1/accounts",
                    json([
                        "kind": "consumer",
                        "login": random(2) == 0
                            ? phone : "\(pick(["anne.marie", "o.brien", "li-wei"]))\(random(999))@mail.example",
                        "password": "correct horse battery \(random(100))", "displayName": pick(Self.names),
                    ])
                )
            case 7:
                (method, target, body) = (
                    "POST", "/api/v1/checkouts",
                    json([
                        "recipient": [
                            "name": pick(Self.names), "phone": phone,
                            "address": [
                                "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": pick(Self.addresses),
                            ],
                        ]
                    ])
                )
            case 8:
                (method, target, body) = (
                    "POST", "/api/v1/orders/\(id)/reviews",
                    json([
                        "listingId": UUID().uuidString.lowercased(), "rating": random(5) + 1,
                        "text": pick(Self.reviews),
                    ])
                )
            default:
                (method, target, body) = (
                    "POST", "/api/v1/cart/items", json(["listingId": id, "quantity": random(3) + 1])
                )
            }
            let (path, query) = ShieldBench.split(target)
            let line = "\(method) \(target) \(body)"
            return (
                line,
                AttackSignatures.Input(
                    path: path, query: query, headers: headers,
                    body: body.isEmpty ? "" : AttackSignatures.bodyText(Data(body.utf8), json: true))
            )
        }
    }
}

extension Data {
    /// The body with the `{` that the " {" separator consumed.
    fileprivate var prefixedBrace: Data { Data("{".utf8) + self }
}
