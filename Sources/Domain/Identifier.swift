#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// A typed identifier: `ID<Order>` and `ID<Merchant>` are different types even though both
/// wrap a string, so one cannot be passed where the other is expected.
///
/// The raw value is 1–128 visible ASCII characters (no spaces or controls), which keeps IDs
/// safe in URLs, logs and headers. It is encoded as a plain string.
public struct ID<Tag>: Sendable, Hashable, Codable, RawRepresentable, CustomStringConvertible {
    /// The identifier text.
    public let rawValue: String

    /// The longest accepted identifier.
    public static var maximumLength: Int { 128 }

    /// An identifier, or `nil` unless `rawValue` is 1–128 visible ASCII characters.
    public init?(rawValue: String) {
        let bytes = rawValue.utf8
        guard (1...Self.maximumLength).contains(bytes.count),
            bytes.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// The identifier for a UUID (lowercase, hyphenated).
    public init(uuid: UUID) {
        self.rawValue = uuid.uuidString.lowercased()
    }

    /// A new random (version 4 UUID) identifier.
    public static func random() -> ID<Tag> {
        ID(uuid: UUID())
    }

    /// The identifier text.
    public var description: String { rawValue }
}
