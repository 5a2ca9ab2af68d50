import Domain
import Testing

/// Clause 2.4.1: the guaranteed-trade order states; illegal transitions are refused, naming the state.
@Suite("Order state machine")
struct OrderStateMachineTests {
    @Test("2.4.1: the happy path runs from payment to completion, each step by its own actor")
    func happyPath() throws {
        var status = OrderStatus.awaitingPayment
        for (action, actor) in [
            (OrderAction.pay, OrderActor.provider), (.ship, .merchant), (.deliver, .system), (.confirm, .buyer),
        ] {
            status = try OrderStateMachine.next(from: status, action: action, by: actor)
        }
        #expect(status == .completed)
        #expect(OrderStateMachine.isFinal(.completed))
    }

    @Test("2.4.1: every state refuses every action it does not list, naming the current state")
    func illegalTransitions() {
        var legal = 0
        for from in OrderStatus.allCases {
            for action in OrderAction.allCases {
                for actor in OrderActor.allCases {
                    do throws(OrderTransitionError) {
                        _ = try OrderStateMachine.next(from: from, action: action, by: actor)
                        legal += 1
                    } catch {
                        switch error {
                        case .illegal(let state, _): #expect(state == from)
                        case .notAllowed(_, let who): #expect(who == actor)
                        }
                    }
                }
            }
        }
        #expect(legal == 37, "the table's edges times their actors")
    }

    @Test("2.4.1: a buyer cannot mark an order paid, and a merchant cannot confirm receipt")
    func actors() {
        #expect(throws: OrderTransitionError.notAllowed(action: .pay, actor: .buyer)) {
            try OrderStateMachine.next(from: .awaitingPayment, action: .pay, by: .buyer)
        }
        #expect(throws: OrderTransitionError.notAllowed(action: .confirm, actor: .merchant)) {
            try OrderStateMachine.next(from: .delivered, action: .confirm, by: .merchant)
        }
        #expect(throws: OrderTransitionError.illegal(from: .cancelled, action: .ship)) {
            try OrderStateMachine.next(from: .cancelled, action: .ship, by: .merchant)
        }
    }
}
