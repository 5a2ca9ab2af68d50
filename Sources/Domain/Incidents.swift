// Network security incidents (clause 1.1.3) and their clocks (clause 2.3.6; PIPL Art. 57; the national incident
// reporting measures). Pure rules: grading, deadlines, and what a notice must say.

/// The kinds of incident the agreement names (clause 1.1.3).
public enum IncidentType: String, Sendable, Codable, CaseIterable {
    case attack
    case failure
    case operatorError = "operator_error"
    case malware
    case disaster
    case forceMajeure = "force_majeure"
    case dataLeak = "data_leak"
    case dataTampering = "data_tampering"
    case dataLoss = "data_loss"
    case serviceInterruption = "service_interruption"

    /// Leaks, tampering and loss of data concern personal information: people must be told (2.3.6).
    public var concernsPersonalData: Bool { self == .dataLeak || self == .dataTampering || self == .dataLoss }
}

/// The national grades, mildest first.
public enum IncidentGrade: String, Sendable, Codable, CaseIterable, Comparable {
    case general
    case relativelyMajor = "relatively_major"
    case major
    case especiallyMajor = "especially_major"

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// "Relatively major" and above are reported to the cyberspace authority within 4 hours of discovery.
    public var mustReportToRegulator: Bool { self >= .relativelyMajor }
}

/// Configurable thresholds and clocks. Grades by the number of people affected and of sensitive records, and
/// never below what staff set by hand (when in doubt, grade up).
public struct IncidentPolicy: Sendable, Codable, Equatable {
    /// People affected from which each grade applies (relatively major, major, especially major).
    public var peopleThresholds: [Int]
    /// Sensitive records (PIPL Art. 28) from which each grade applies.
    public var sensitiveThresholds: [Int]
    /// Hours from discovery to the regulator's report (4; 1 for critical information infrastructure).
    public var regulatorHours: Int
    /// Hours from discovery to notifying affected merchants and consumers (the agreement: 24 or 48).
    public var notifyHours: Int

    public static let standard = IncidentPolicy(
        peopleThresholds: [100_000, 1_000_000, 10_000_000], sensitiveThresholds: [10_000, 100_000, 1_000_000],
        regulatorHours: 4, notifyHours: 24)

    public init(peopleThresholds: [Int], sensitiveThresholds: [Int], regulatorHours: Int, notifyHours: Int) {
        self.peopleThresholds = peopleThresholds
        self.sensitiveThresholds = sensitiveThresholds
        self.regulatorHours = regulatorHours
        self.notifyHours = notifyHours
    }

    public func grade(people: Int, sensitiveRecords: Int, atLeast floor: IncidentGrade = .general) -> IncidentGrade {
        let grades: [IncidentGrade] = [.relativelyMajor, .major, .especiallyMajor]
        var grade = IncidentGrade.general
        for (n, candidate) in grades.enumerated()
        where people >= peopleThresholds[n] || sensitiveRecords >= sensitiveThresholds[n] {
            grade = candidate
        }
        return max(grade, floor)
    }

    /// When the regulator's report is due, or nil when the grade needs none.
    public func regulatorDue(discoveredAt: Int64, grade: IncidentGrade) -> Int64? {
        grade.mustReportToRegulator ? discoveredAt + Int64(regulatorHours) * 3_600_000 : nil
    }

    public func notifyDue(discoveredAt: Int64) -> Int64 { discoveredAt + Int64(notifyHours) * 3_600_000 }
}

/// What a person's incident notice says (PIPL Art. 57): which data, why, the possible harm, what the platform did,
/// what the person can do, and how to reach the platform.
public enum IncidentNotice {
    /// Possible harm, by category of data (the data catalog's column names, grouped).
    public static func harm(of category: String) -> String {
        switch category {
        case "login", "phone", "email": "unwanted calls, messages or phishing that looks like us / 骚扰电话、短信或冒充平台的钓鱼信息"
        case "address": "unwanted deliveries or visits / 陌生包裹或上门骚扰"
        case "resident_id", "name": "identity misuse / 身份被冒用"
        case "password": "someone signing in as you / 账号被他人登录"
        default: "misuse of the \(category) / \(category) 被滥用"
        }
    }

    /// What the person can do, by category.
    public static func advice(for category: String) -> String {
        switch category {
        case "password", "login": "change your password and turn on two-factor authentication / 修改密码并开启双因素认证"
        case "phone", "email": "do not trust messages asking for codes or payments / 不要相信索要验证码或付款的消息"
        case "address": "check parcels you did not order before accepting them / 签收前核对未订购的包裹"
        case "resident_id", "name": "watch for accounts or loans opened in your name / 留意以您名义开立的账户或贷款"
        default: "watch your account for anything unexpected / 留意账户中的异常情况"
        }
    }

    public static func text(
        categories: [String], cause: String, measures: String, contact: String, incidentId: String
    ) -> (subject: String, body: String) {
        let sorted = categories.sorted()
        let subject = "个人信息安全事件通知 / Notice of a personal information incident"
        let body = """
            事件编号 / Incident: \(incidentId)
            涉及的信息 / What information: \(sorted.joined(separator: ", "))
            原因 / Cause: \(cause)
            可能的影响 / Possible harm: \(sorted.map(harm(of:)).joined(separator: "; "))
            我们已采取的措施 / What we did: \(measures)
            您可以采取的措施 / What you can do: \(sorted.map(advice(for:)).joined(separator: "; "))
            联系我们 / Contact: \(contact)
            """
        return (subject, body)
    }
}

/// Vulnerability severities and how long each may stay unfixed (clause 2.2: fix vulnerabilities promptly).
public enum VulnerabilitySeverity: String, Sendable, Codable, CaseIterable {
    case critical, high, medium, low

    /// Days from discovery to the fix-by date.
    public var fixDays: Int {
        switch self {
        case .critical: 7
        case .high: 30
        case .medium: 90
        case .low: 180
        }
    }
}
