// Domain owns Covenant's pure values and rules: identifiers, validators, masking, money.
// It imports only Foundation and nothing of ours; it does no I/O and never traps on input.

/// An error that carries a human-readable message, safe to show to the person who made the input.
///
/// Messages never echo the rejected input, so they are safe to log as well (clause 2.3.2).
public protocol HumanReadableError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A short sentence describing what is wrong, without repeating the input.
    var message: String { get }
}

extension HumanReadableError {
    /// The human-readable message.
    public var description: String { message }
}
