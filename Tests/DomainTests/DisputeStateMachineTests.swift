import Testing

@testable import Domain

/// Clause 2.4.4: who may move a dispute, from where.
@Suite("Dispute state machine")
struct DisputeStateMachineTests {
    @Test("2.4.4: every path runs by its own party; anything else is refused naming the state")
    func paths() throws {
        #expect(try DisputeStateMachine.next(from: .awaitingMerchant, action: .counter, by: .merchant) == .negotiating)
        #expect(
            try DisputeStateMachine.next(from: .awaitingMerchant, action: .merchantTimeout, by: .system) == .decided)
        #expect(try DisputeStateMachine.next(from: .negotiating, action: .escalate, by: .consumer) == .escalated)
        #expect(try DisputeStateMachine.next(from: .escalated, action: .decide, by: .arbitrator) == .decided)
        #expect(try DisputeStateMachine.next(from: .decided, action: .appeal, by: .merchant) == .escalated)
        #expect(try DisputeStateMachine.next(from: .decided, action: .finalize, by: .system) == .closed)
        #expect(throws: DisputeTransitionError.notAllowed(action: .decide, party: .merchant)) {
            try DisputeStateMachine.next(from: .escalated, action: .decide, by: .merchant)
        }
        #expect(throws: DisputeTransitionError.illegal(from: .closed, action: .appeal)) {
            try DisputeStateMachine.next(from: .closed, action: .appeal, by: .consumer)
        }
        #expect(DisputeStateMachine.isOpen(.decided) && !DisputeStateMachine.isOpen(.withdrawn))
    }

    @Test("2.4.4: images are PNG or JPEG by content, without EXIF")
    func images() throws {
        #expect(throws: ImageCheck.Refusal.notAnImage) { try ImageCheck.check(Array("GIF89a".utf8)) }
        #expect(throws: ImageCheck.Refusal.notAnImage) {
            try ImageCheck.check([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 99])
        }
        #expect(throws: ImageCheck.Refusal.tooLarge(maximumBytes: 10)) {
            try ImageCheck.check([UInt8](repeating: 0, count: 11), maximumBytes: 10)
        }
    }
}
