import Crypto
import Foundation
public import Risk
import Synchronization

/// This instance's sliding-window features (`Risk.RiskFeatures`), fed by sign-ins, checkouts, payments and the
/// payment institution's callbacks. Entities are numbers drawn from keyed pseudonyms (the blind indexes of the
/// device and the address, the account id), never the values themselves. The counters live in memory: each
/// instance sees its own traffic (the database-backed features in `RiskChecks` are shared by all).
public final class RiskSignals: Sendable {
    private let features = Mutex(RiskFeatures())

    public init() {}

    func observe(_ observation: RiskObservation) -> [String: Double] {
        features.withLock { $0.observe(observation) }
    }

    func paymentFailed(_ observation: RiskObservation) {
        features.withLock { $0.paymentFailed(observation) }
    }

    /// A pseudonym (already keyed, or an id that is not personal) as a number.
    static func entity(_ pseudonym: String) -> UInt64 {
        SHA256.hash(data: Data(pseudonym.utf8)).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}
