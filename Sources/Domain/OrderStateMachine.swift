/// The guaranteed-trade (escrow) order states (clause 2.4.1; REFERENCE.md, Alipay guaranteed trade).
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case awaitingPayment = "awaiting_payment"
    case awaitingShipment = "awaiting_shipment"
    case shipped
    case delivered
    case completed
    case cancelled
    case refundRequested = "refund_requested"
    case refunded
    /// Held by the platform (an amount or currency mismatch from the payment provider).
    case onHold = "on_hold"
}

public enum OrderAction: String, Sendable, Codable, CaseIterable {
    case pay, cancel, hold, ship, deliver, confirm
    case requestRefund = "request_refund"
    case approveRefund = "approve_refund"
    case rejectRefund = "reject_refund"
    /// A dispute's outcome: everything back to the consumer, or the order settled with part refunded.
    case disputeRefund = "dispute_refund"
    case disputeSettle = "dispute_settle"
}

/// Who takes an action: each transition names the actors allowed to take it.
public enum OrderActor: String, Sendable, Codable, CaseIterable {
    case buyer, merchant, provider, system, staff
}

public enum OrderTransitionError: HumanReadableError {
    /// The action does not apply in the current state (HTTP 409, naming the state).
    case illegal(from: OrderStatus, action: OrderAction)
    /// The state allows the action, but not by this actor (HTTP 403).
    case notAllowed(action: OrderAction, actor: OrderActor)

    public var message: String {
        switch self {
        case .illegal(let from, let action):
            "The order is \(from.rawValue); \(action.rawValue) is not possible now."
        case .notAllowed(let action, let actor):
            "The \(actor.rawValue) cannot \(action.rawValue) this order."
        }
    }

    public var description: String { message }
}

/// Every order state change goes through here: an illegal one is refused with the current state named.
public enum OrderStateMachine {
    struct Edge: Hashable {
        let from: OrderStatus
        let action: OrderAction
    }

    static let edges: [Edge: (to: OrderStatus, actors: Set<OrderActor>)] = [
        Edge(from: .awaitingPayment, action: .pay): (.awaitingShipment, [.provider]),
        Edge(from: .awaitingPayment, action: .cancel): (.cancelled, [.buyer, .system]),
        Edge(from: .awaitingPayment, action: .hold): (.onHold, [.system]),
        // Paid but unshipped: cancelled with a refund.
        Edge(from: .awaitingShipment, action: .cancel): (.cancelled, [.buyer, .merchant]),
        Edge(from: .awaitingShipment, action: .ship): (.shipped, [.merchant]),
        Edge(from: .shipped, action: .deliver): (.delivered, [.system, .provider]),
        // The system confirms receipt when the buyer's window (counted from shipment until delivery is known) ends.
        Edge(from: .shipped, action: .confirm): (.completed, [.buyer, .system]),
        Edge(from: .delivered, action: .confirm): (.completed, [.buyer, .system]),
        Edge(from: .shipped, action: .requestRefund): (.refundRequested, [.buyer]),
        Edge(from: .delivered, action: .requestRefund): (.refundRequested, [.buyer]),
        Edge(from: .refundRequested, action: .approveRefund): (.refunded, [.merchant, .staff]),
        Edge(from: .refundRequested, action: .rejectRefund): (.delivered, [.merchant]),
        Edge(from: .onHold, action: .cancel): (.cancelled, [.staff]),
        // Dispute outcomes (clause 2.4.4): the merchant concedes, or an arbitrator or a deadline decides.
        Edge(from: .shipped, action: .disputeRefund): (.refunded, [.merchant, .staff, .system]),
        Edge(from: .delivered, action: .disputeRefund): (.refunded, [.merchant, .staff, .system]),
        Edge(from: .refundRequested, action: .disputeRefund): (.refunded, [.merchant, .staff, .system]),
        Edge(from: .shipped, action: .disputeSettle): (.completed, [.merchant, .staff, .system]),
        Edge(from: .delivered, action: .disputeSettle): (.completed, [.merchant, .staff, .system]),
        Edge(from: .refundRequested, action: .disputeSettle): (.completed, [.merchant, .staff, .system]),
    ]

    /// The state after `action` by `actor`, or why it cannot be taken.
    public static func next(from: OrderStatus, action: OrderAction, by actor: OrderActor) throws(OrderTransitionError)
        -> OrderStatus
    {
        guard let edge = edges[Edge(from: from, action: action)] else {
            throw .illegal(from: from, action: action)
        }
        guard edge.actors.contains(actor) else { throw .notAllowed(action: action, actor: actor) }
        return edge.to
    }

    /// Final states: nothing moves them.
    public static func isFinal(_ status: OrderStatus) -> Bool {
        !edges.keys.contains { $0.from == status }
    }
}
