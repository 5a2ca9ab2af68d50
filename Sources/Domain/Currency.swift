/// An ISO 4217 currency that the platform handles, with its minor-unit exponent.
///
/// Only the listed currencies exist, so every `Currency` has a known exponent; it is
/// encoded as its three-letter code.
public struct Currency: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The ISO 4217 code, three uppercase letters (`CNY`).
    public let code: String
    /// How many decimal digits the minor unit has (2 for fen, 0 for yen).
    public let minorUnitDigits: Int
    /// The usual symbol, if the platform shows one (`¥` for CNY).
    public let symbol: String?

    private init(code: String, minorUnitDigits: Int, symbol: String?) {
        self.code = code
        self.minorUnitDigits = minorUnitDigits
        self.symbol = symbol
    }

    /// Renminbi (yuan), minor unit fen.
    public static let cny = Currency(code: "CNY", minorUnitDigits: 2, symbol: "¥")
    /// Hong Kong dollar.
    public static let hkd = Currency(code: "HKD", minorUnitDigits: 2, symbol: "HK$")
    /// Macanese pataca.
    public static let mop = Currency(code: "MOP", minorUnitDigits: 2, symbol: "MOP$")
    /// US dollar.
    public static let usd = Currency(code: "USD", minorUnitDigits: 2, symbol: "US$")
    /// Euro.
    public static let eur = Currency(code: "EUR", minorUnitDigits: 2, symbol: "€")
    /// Pound sterling.
    public static let gbp = Currency(code: "GBP", minorUnitDigits: 2, symbol: "£")
    /// Japanese yen (no minor unit).
    public static let jpy = Currency(code: "JPY", minorUnitDigits: 0, symbol: "JP¥")
    /// South Korean won (no minor unit).
    public static let krw = Currency(code: "KRW", minorUnitDigits: 0, symbol: "₩")

    /// Every currency the platform handles.
    public static let all: [Currency] = [.cny, .hkd, .mop, .usd, .eur, .gbp, .jpy, .krw]

    /// The currency with this ISO code (case-insensitive, surrounding white space ignored),
    /// or `nil` if the platform does not handle it.
    public init?(code: String) {
        let wanted = TextScan.trimmed(code).uppercased()
        guard let known = Self.all.first(where: { $0.code == wanted }) else { return nil }
        self = known
    }

    /// `10^minorUnitDigits`: minor units per major unit (100 for CNY).
    public var minorUnitsPerMajorUnit: Int64 {
        var factor: Int64 = 1
        for _ in 0..<minorUnitDigits { factor *= 10 }
        return factor
    }

    /// The ISO code.
    public var description: String { code }

    /// Decodes from the ISO code; unknown codes are a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard let currency = Currency(code: code) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Unsupported currency code.")
        }
        self = currency
    }

    /// Encodes as the ISO code.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
