/// The clauses of the e-commerce transaction security agreement, by their stable IDs, with a short title for each
/// (the full text and what each requires: agreement/clauses.md, kept outside the repository). The compliance report
/// walks this list, so a clause cannot drop out of it unnoticed; 4.x (the consumer's duties) is covered by 3.2's
/// account security and 2.4.3's risk controls and has no ID of its own here.
public enum AgreementClauses {
    public struct Clause: Sendable, Codable, Equatable {
        public let id: String
        public let title: String
    }

    public static let all: [Clause] = [
        Clause(id: "1.1.1", title: "Definition of personal information"),
        Clause(id: "1.1.2", title: "Definition of transaction information"),
        Clause(id: "1.1.3", title: "Definition of a network security incident"),
        Clause(id: "1.1.4", title: "Definition of force majeure"),
        Clause(id: "2.1", title: "Technical and management measures for a safe, orderly trading environment"),
        Clause(id: "2.2", title: "Secure servers and network, audit, backup, assessments, prompt fixes"),
        Clause(id: "2.3.1", title: "Lawful, minimal collection with stated purposes and consent"),
        Clause(id: "2.3.2", title: "Classification, grading, encryption, access control and masking"),
        Clause(id: "2.3.3", title: "Staff confidentiality training and clear internal permissions"),
        Clause(id: "2.3.4", title: "Real-name verification of merchants and consumers"),
        Clause(id: "2.3.5", title: "Query, correction and deletion of personal information"),
        Clause(id: "2.3.6", title: "Incident notification within the deadline, remedy and report"),
        Clause(id: "2.4.1", title: "Secure transaction flow; no fraudulent transactions or false information"),
        Clause(id: "2.4.2", title: "Payments through a licensed institution; no card numbers held"),
        Clause(id: "2.4.3", title: "Transaction risk monitoring and risk controls"),
        Clause(id: "2.4.4", title: "Complaint and dispute handling"),
        Clause(id: "2.5", title: "Rules, violations, sanctions and reports to authorities"),
        Clause(id: "2.6", title: "Supervision of third-party service providers"),
        Clause(id: "3.1", title: "Merchant accepts the agreement and platform rules"),
        Clause(id: "3.2", title: "Merchant account security"),
        Clause(id: "3.3", title: "Truthful, lawful product information"),
        Clause(id: "3.4", title: "Merchant protects consumer information"),
        Clause(id: "3.5", title: "Merchant cooperates in incident handling and dispute resolution"),
    ]
}
