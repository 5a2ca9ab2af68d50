/// An amount of money: whole minor units (fen for CNY) in an `Int64`, with its currency.
///
/// No floating point anywhere: amounts are parsed from decimal text digit by digit, and all
/// arithmetic is checked — overflow and mixing currencies are errors, never traps.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The amount in minor units (`1234` is ¥12.34).
    public let minorUnits: Int64
    /// The currency.
    public let currency: Currency

    /// An amount of `minorUnits` in `currency`.
    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Zero in `currency`.
    public static func zero(_ currency: Currency) -> Money {
        Money(minorUnits: 0, currency: currency)
    }

    /// Parses a plain decimal amount such as `12.34`, `-0.5`, `+7` or `12.340`.
    ///
    /// Surrounding white space is ignored and full-width digits are folded. At least one digit
    /// is needed before the point and one after it; more decimal places than the currency has
    /// are accepted only when they are zeros. No grouping separators, symbols or exponents.
    /// - Throws: `MoneyError.format`, `.precision` or `.overflow`.
    public init(parsing text: String, currency: Currency) throws(MoneyError) {
        let bytes = Array(TextScan.foldingFullWidth(TextScan.trimmed(text)).utf8)
        var position = 0
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            position = 1
        }
        var magnitude: UInt64 = 0
        var integerDigits = 0
        while position < bytes.count, let digit = TextScan.digitValue(ofASCII: bytes[position]) {
            magnitude = try Self.appending(digit, to: magnitude)
            integerDigits += 1
            position += 1
        }
        guard integerDigits > 0 else { throw .format }
        var fractionDigits = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            while position < bytes.count, let digit = TextScan.digitValue(ofASCII: bytes[position]) {
                if fractionDigits < currency.minorUnitDigits {
                    magnitude = try Self.appending(digit, to: magnitude)
                } else if digit != 0 {
                    throw .precision
                }
                fractionDigits += 1
                position += 1
            }
            guard fractionDigits > 0 else { throw .format }
        }
        guard position == bytes.count else { throw .format }
        for _ in min(fractionDigits, currency.minorUnitDigits)..<currency.minorUnitDigits {
            magnitude = try Self.appending(0, to: magnitude)
        }
        self.currency = currency
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .overflow }
            self.minorUnits = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        } else {
            guard magnitude <= UInt64(Int64.max) else { throw .overflow }
            self.minorUnits = Int64(magnitude)
        }
    }

    private static func appending(_ digit: UInt8, to magnitude: UInt64) throws(MoneyError) -> UInt64 {
        let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
        let (result, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
        guard !overflow1, !overflow2, result <= UInt64(Int64.max) + 1 else { throw .overflow }
        return result
    }

    // MARK: Arithmetic

    /// `self + other`.
    /// - Throws: `.currencyMismatch` or `.overflow`.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        try requireSameCurrency(other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: sum, currency: currency)
    }

    /// `self - other`.
    /// - Throws: `.currencyMismatch` or `.overflow`.
    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        try requireSameCurrency(other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: difference, currency: currency)
    }

    /// `self × factor` (for example a unit price times a quantity).
    /// - Throws: `.overflow`.
    public func multiplied(by factor: Int64) throws(MoneyError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: product, currency: currency)
    }

    /// `-self`.
    /// - Throws: `.overflow` for the most negative amount.
    public func negated() throws(MoneyError) -> Money {
        try Money.zero(currency).subtracting(self)
    }

    /// The sum of `amounts`, all in `currency` (zero when empty).
    /// - Throws: `.currencyMismatch` or `.overflow`.
    public static func sum(_ amounts: some Sequence<Money>, in currency: Currency) throws(MoneyError) -> Money {
        var total = Money.zero(currency)
        for amount in amounts { total = try total.adding(amount) }
        return total
    }

    /// Whether the amount is zero.
    public var isZero: Bool { minorUnits == 0 }
    /// Whether the amount is below zero.
    public var isNegative: Bool { minorUnits < 0 }
    /// Whether the amount is above zero.
    public var isPositive: Bool { minorUnits > 0 }

    private func requireSameCurrency(_ other: Money) throws(MoneyError) {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
    }

    // MARK: Formatting

    /// The plain decimal amount with exactly the currency's decimal places (`12.34`, `-0.05`, `1200`).
    public var decimalString: String {
        let factor = UInt64(currency.minorUnitsPerMajorUnit)
        let magnitude = minorUnits.magnitude
        let major = String(magnitude / factor)
        let sign = minorUnits < 0 ? "-" : ""
        guard currency.minorUnitDigits > 0 else { return sign + major }
        let minor = String(magnitude % factor)
        let padding = String(repeating: "0", count: max(0, currency.minorUnitDigits - minor.count))
        return sign + major + "." + padding + minor
    }

    /// With the currency symbol: `¥12.34`, `-¥0.05` (the code when there is no symbol).
    public var formatted: String {
        guard let symbol = currency.symbol else { return formattedWithCode }
        let decimal = decimalString
        return decimal.hasPrefix("-") ? "-" + symbol + decimal.dropFirst() : symbol + decimal
    }

    /// With the ISO code: `CNY 12.34`, `CNY -0.05`.
    public var formattedWithCode: String { currency.code + " " + decimalString }

    /// `CNY 12.34`.
    public var description: String { formattedWithCode }
}

/// Why a money operation failed.
public enum MoneyError: HumanReadableError {
    /// The two amounts are in different currencies.
    case currencyMismatch(Currency, Currency)
    /// The result does not fit in 64 bits of minor units.
    case overflow
    /// The text is not a plain decimal amount.
    case format
    /// The text has more decimal places than the currency.
    case precision

    /// The human-readable message.
    public var message: String {
        switch self {
        case .currencyMismatch(let left, let right): "Cannot combine amounts in \(left.code) and \(right.code)."
        case .overflow: "The amount is too large."
        case .format: "Please enter an amount such as 12.34."
        case .precision: "The amount has too many decimal places."
        }
    }
}
