/// Complaint and dispute cases (clause 2.4.4): who may move a case, from where, to where.
public enum DisputeStatus: String, Sendable, Codable, CaseIterable {
    case awaitingMerchant = "awaiting_merchant"
    case negotiating
    case escalated
    /// An outcome exists; it becomes final when the appeal window ends or after an appeal's decision.
    case decided
    case closed
    case withdrawn
}

public enum DisputeAction: String, Sendable, Codable, CaseIterable {
    /// The merchant agrees to what the consumer asked (the case closes with that outcome).
    case accept
    /// The merchant answers with an offer or its side of the story.
    case counter
    /// The consumer takes the merchant's offer.
    case acceptOffer = "accept_offer"
    case escalate, decide, appeal, withdraw
    /// The merchant did not answer in time: the consumer's request is granted.
    case merchantTimeout = "merchant_timeout"
    /// The appeal window ended: the decision is final.
    case finalize
}

public enum DisputeParty: String, Sendable, Codable, CaseIterable {
    case consumer, merchant, arbitrator, system
}

public enum DisputeTransitionError: HumanReadableError {
    case illegal(from: DisputeStatus, action: DisputeAction)
    case notAllowed(action: DisputeAction, party: DisputeParty)

    public var message: String {
        switch self {
        case .illegal(let from, let action): "The case is \(from.rawValue); \(action.rawValue) is not possible now."
        case .notAllowed(let action, let party): "The \(party.rawValue) cannot \(action.rawValue) this case."
        }
    }

    public var description: String { message }
}

public enum DisputeStateMachine {
    struct Edge: Hashable {
        let from: DisputeStatus
        let action: DisputeAction
    }

    static let edges: [Edge: (to: DisputeStatus, parties: Set<DisputeParty>)] = [
        Edge(from: .awaitingMerchant, action: .accept): (.closed, [.merchant]),
        Edge(from: .awaitingMerchant, action: .counter): (.negotiating, [.merchant]),
        Edge(from: .awaitingMerchant, action: .merchantTimeout): (.decided, [.system]),
        Edge(from: .awaitingMerchant, action: .withdraw): (.withdrawn, [.consumer]),
        Edge(from: .negotiating, action: .accept): (.closed, [.merchant]),
        Edge(from: .negotiating, action: .counter): (.negotiating, [.merchant]),
        Edge(from: .negotiating, action: .acceptOffer): (.closed, [.consumer]),
        Edge(from: .negotiating, action: .escalate): (.escalated, [.consumer, .merchant]),
        Edge(from: .negotiating, action: .withdraw): (.withdrawn, [.consumer]),
        Edge(from: .escalated, action: .decide): (.decided, [.arbitrator]),
        Edge(from: .escalated, action: .withdraw): (.withdrawn, [.consumer]),
        Edge(from: .decided, action: .appeal): (.escalated, [.consumer, .merchant]),
        Edge(from: .decided, action: .finalize): (.closed, [.system]),
    ]

    public static func next(from: DisputeStatus, action: DisputeAction, by party: DisputeParty)
        throws(DisputeTransitionError) -> DisputeStatus
    {
        guard let edge = edges[Edge(from: from, action: action)] else { throw .illegal(from: from, action: action) }
        guard edge.parties.contains(party) else { throw .notAllowed(action: action, party: party) }
        return edge.to
    }

    /// While a case is in one of these, the order's escrow is frozen.
    public static func isOpen(_ status: DisputeStatus) -> Bool {
        status != .closed && status != .withdrawn
    }
}

/// What the consumer asks for, and what a case ends with.
public enum DisputeRemedy: String, Sendable, Codable, CaseIterable {
    case fullRefund = "full_refund"
    case partialRefund = "partial_refund"
    /// Return the goods, then a full refund.
    case returnAndRefund = "return_and_refund"
    case replacement
    /// Nothing is refunded: the merchant keeps the escrow when the order completes.
    case reject
}

public enum DisputeReason: String, Sendable, Codable, CaseIterable {
    case notReceived = "not_received"
    case notAsDescribed = "not_as_described"
    case damaged, counterfeit
    case unauthorizedPayment = "unauthorized_payment"
    case other
}
