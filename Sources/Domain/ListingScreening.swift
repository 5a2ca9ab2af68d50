/// Screens listing and review text before it is published (clause 2.4.1: no fraudulent or false information).
///
/// Prohibited goods, contact details (which take trade off the platform and its escrow) and card numbers
/// (clause 2.4.2) are refused; absolute claims (Advertising Law Art. 9 and 17: "最", "第一", "100% cure") and
/// counterfeit wording go to a person. The word lists are a start that staff extend; the outcome is always
/// explained.
public enum ListingScreening {
    public enum Outcome: String, Sendable, Codable {
        case publish
        case review
        case reject
    }

    public struct Verdict: Sendable, Equatable {
        public let outcome: Outcome
        /// One sentence per finding, in the order the rules ran.
        public let reasons: [String]
    }

    static let prohibited = [
        "枪支", "手枪", "弹药", "子弹", "炸药", "毒品", "冰毒", "海洛因", "大麻", "摇头丸", "管制刀具", "假币", "假钞",
        "假证", "办证", "窃听器", "身份证出售", "银行卡出售", "gun", "ammunition", "explosive", "cocaine", "heroin",
        "counterfeit money", "fake id",
    ]
    static let absoluteClaims = [
        "最", "第一", "国家级", "顶级", "极品", "万能", "根治", "包治", "特效", "100%", "100％", "百分之百", "no.1",
        "best in the world", "cures", "guaranteed cure",
    ]
    static let counterfeitWording = [
        "高仿", "原单", "a货", "复刻", "仿品", "精仿", "超a", "replica", "1:1", "knockoff", "fake",
    ]
    static let contactWords = ["微信", "wechat", "vx", "v信", "qq", "加我", "电话", "whatsapp", "telegram"]

    public static func screen(_ texts: String...) -> Verdict {
        screen(texts)
    }

    public static func screen(_ texts: [String]) -> Verdict {
        let text = texts.joined(separator: "\n")
        let folded = TextScan.foldingFullWidth(text).lowercased()
        var rejected: [String] = []
        var review: [String] = []
        if let word = prohibited.first(where: folded.contains) {
            rejected.append("Prohibited goods are not sold here (\"\(word)\").")
        }
        if CardNumberDetector.containsCardNumber(text) {
            rejected.append("The text holds what looks like a payment card number.")
        }
        if containsContactDetails(folded) {
            rejected.append("Contact details are not allowed: buyers and sellers talk on the platform.")
        }
        if containsResidentID(folded) {
            rejected.append("A resident identity card number is personal information and is never published.")
        }
        if contactWords.contains(where: folded.contains), folded.contains(where: \.isASCIIDigit) {
            review.append("A messaging handle may be a way to trade off the platform; a reviewer checks it.")
        }
        if let word = absoluteClaims.first(where: folded.contains) {
            review.append("An absolute or unprovable claim (\"\(word)\") needs a reviewer.")
        }
        if let word = counterfeitWording.first(where: folded.contains) {
            review.append("Wording that suggests counterfeit goods (\"\(word)\") needs a reviewer.")
        }
        if !rejected.isEmpty { return Verdict(outcome: .reject, reasons: rejected + review) }
        if !review.isEmpty { return Verdict(outcome: .review, reasons: review) }
        return Verdict(outcome: .publish, reasons: [])
    }

    /// A mainland mobile number or an e-mail address.
    static func containsContactDetails(_ folded: String) -> Bool {
        let digitsOnly = folded.filter { !$0.isWhitespace && $0 != "-" }
        let characters = Array(digitsOnly)
        if characters.count >= 11 {
            for start in 0...(characters.count - 11) {
                let window = characters[start..<start + 11]
                let isMobile =
                    window.first == "1" && ("3"..."9").contains(window[start + 1])
                    && window.allSatisfy(\.isASCIIDigit)
                let bounded =
                    (start == 0 || !characters[start - 1].isASCIIDigit)
                    && (start + 11 == characters.count || !characters[start + 11].isASCIIDigit)
                if isMobile && bounded { return true }
            }
        }
        for token in folded.split(whereSeparator: { $0.isWhitespace || "，,;；".contains($0) })
        where token.contains("@") && token.contains(".") && (try? EmailAddress(String(token))) != nil {
            return true
        }
        // An address run into other words ("邮箱a@b.com"): the ASCII around the "@" is the address.
        return folded.firstMatch(of: emailPattern) != nil
    }

    nonisolated(unsafe) static let emailPattern = /[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}/

    /// Eighteen characters, seventeen digits and a check character that matches (GB 11643), not inside a
    /// longer run of digits.
    static func containsResidentID(_ folded: String) -> Bool {
        let characters = Array(folded)
        guard characters.count >= 18 else { return false }
        for start in 0...(characters.count - 18) {
            let window = characters[start..<start + 18]
            guard window.prefix(17).allSatisfy(\.isASCIIDigit),
                start == 0 || !characters[start - 1].isASCIIDigit,
                start + 18 == characters.count || !characters[start + 18].isASCIIDigit,
                let check = ResidentID.checkCharacter(for: String(window.prefix(17))),
                String(check).lowercased() == String(window.last!).lowercased()
            else { continue }
            return true
        }
        return false
    }

    /// Whether the text holds a card, identity or mobile number or an e-mail address.
    public static func identifiesPerson(_ text: String) -> Bool {
        let folded = TextScan.foldingFullWidth(text).lowercased()
        return CardNumberDetector.containsCardNumber(text) || containsContactDetails(folded)
            || containsResidentID(folded)
    }

    /// The text with what screening refuses to keep in clear masked: card numbers, mobile and identity numbers
    /// (every run of seven or more digits) and e-mail addresses. A rejected listing is stored like this.
    public static func redacted(_ text: String) -> String {
        var result = CardNumberDetector.redacting(text)
        result = result.replacing(/[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}/) { _ in "***@***"
        }
        result = result.replacing(/[0-9０-９][0-9０-９ \-]{5,}[0-9０-９Xx]/) { match in
            String(repeating: "*", count: match.output.count)
        }
        return result
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
