import Domain
import Foundation
import Testing

@Suite("Money")
struct MoneyTests {
    @Test(
        "2.4.1: amounts parse from decimal text without floating point",
        arguments: [
            ("12.34", Int64(1234)),
            ("0.01", 1),
            ("0.1", 10),
            ("12", 1200),
            ("+7", 700),
            ("-0.05", -5),
            ("12.340", 1234),
            ("  99.90 ", 9990),
            ("１２.３４", 1234),
            ("92233720368547758.07", Int64.max),
            ("-92233720368547758.08", Int64.min),
            ("0000012.5", 1250),
        ])
    func parses(text: String, minorUnits: Int64) throws {
        // act
        let money = try Money(parsing: text, currency: .cny)
        // check
        #expect(money.minorUnits == minorUnits)
        #expect(money.currency == .cny)
    }

    @Test(
        "2.4.1: malformed amounts are refused with a typed reason",
        arguments: [
            ("", MoneyError.format),
            ("abc", .format),
            (".5", .format),
            ("12.", .format),
            ("1,234.00", .format),
            ("¥12.34", .format),
            ("12.34.56", .format),
            ("1e3", .format),
            ("--1", .format),
            ("- 1", .format),
            ("NaN", .format),
            ("12.345", .precision),
            ("0.001", .precision),
            ("92233720368547758.08", .overflow),
            ("-92233720368547758.09", .overflow),
            ("99999999999999999999999999", .overflow),
        ])
    func refused(text: String, expected: MoneyError) {
        #expect(throws: expected) { try Money(parsing: text, currency: .cny) }
    }

    @Test("2.4.1: currencies without a minor unit parse whole amounts")
    func yen() throws {
        #expect(try Money(parsing: "1200", currency: .jpy).minorUnits == 1200)
        #expect(try Money(parsing: "1200.0", currency: .jpy).minorUnits == 1200)
        #expect(throws: MoneyError.precision) { try Money(parsing: "1200.5", currency: .jpy) }
        #expect(Money(minorUnits: 1200, currency: .jpy).formatted == "JP¥1200")
    }

    @Test(
        "2.4.1: amounts format as ¥12.34 and CNY 12.34",
        arguments: [
            (Int64(1234), "¥12.34", "CNY 12.34"),
            (5, "¥0.05", "CNY 0.05"),
            (-5, "-¥0.05", "CNY -0.05"),
            (0, "¥0.00", "CNY 0.00"),
            (100_000_000, "¥1000000.00", "CNY 1000000.00"),
            (Int64.min, "-¥92233720368547758.08", "CNY -92233720368547758.08"),
        ])
    func formats(minorUnits: Int64, symbol: String, code: String) throws {
        // setup
        let money = Money(minorUnits: minorUnits, currency: .cny)
        // act, check
        #expect(money.formatted == symbol)
        #expect(money.formattedWithCode == code)
        #expect("\(money)" == code)
        #expect(try Money(parsing: money.decimalString, currency: .cny) == money)
    }

    @Test("2.4.1: arithmetic is checked for overflow and currency")
    func checkedArithmetic() throws {
        // setup
        let price = Money(minorUnits: 1999, currency: .cny)
        let max = Money(minorUnits: .max, currency: .cny)
        let min = Money(minorUnits: .min, currency: .cny)
        let dollars = Money(minorUnits: 100, currency: .usd)
        // act, check
        #expect(try price.adding(price).minorUnits == 3998)
        #expect(try price.subtracting(Money(minorUnits: 2000, currency: .cny)).minorUnits == -1)
        #expect(try price.multiplied(by: 3).minorUnits == 5997)
        #expect(try price.negated().minorUnits == -1999)
        #expect(try Money.sum([price, price, price], in: .cny).minorUnits == 5997)
        #expect(try Money.sum([], in: .cny).isZero)
        #expect(throws: MoneyError.overflow) { try max.adding(Money(minorUnits: 1, currency: .cny)) }
        #expect(throws: MoneyError.overflow) { try min.subtracting(Money(minorUnits: 1, currency: .cny)) }
        #expect(throws: MoneyError.overflow) { try min.negated() }
        #expect(throws: MoneyError.overflow) { try max.multiplied(by: 2) }
        #expect(throws: MoneyError.overflow) { try min.multiplied(by: -1) }
        #expect(throws: MoneyError.currencyMismatch(.cny, .usd)) { try price.adding(dollars) }
        #expect(throws: MoneyError.currencyMismatch(.cny, .usd)) { try Money.sum([price, dollars], in: .cny) }
        #expect(price.isPositive && !price.isNegative && !price.isZero)
    }

    @Test("2.4.1: random sums agree with 128-bit-safe reference arithmetic")
    func randomArithmetic() throws {
        // setup
        var generator = SeededGenerator(seed: 31)
        for _ in 0..<2000 {
            let a = Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...63, using: &generator)
            let b = Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...63, using: &generator)
            let left = Money(minorUnits: a, currency: .cny)
            let right = Money(minorUnits: b, currency: .cny)
            let (sum, overflow) = a.addingReportingOverflow(b)
            // act, check
            if overflow {
                #expect(throws: MoneyError.overflow) { try left.adding(right) }
            } else {
                #expect(try left.adding(right).minorUnits == sum)
            }
            // round trip through text
            #expect(try Money(parsing: left.decimalString, currency: .cny) == left)
        }
    }

    @Test("2.4.1: currencies are looked up by ISO code and encode as the code")
    func currencies() throws {
        // act, check
        #expect(Currency(code: "cny") == .cny)
        #expect(Currency(code: " USD ") == .usd)
        #expect(Currency(code: "XXX") == nil)
        #expect(Currency(code: "") == nil)
        #expect(Currency.cny.minorUnitsPerMajorUnit == 100)
        let encoded = try JSONEncoder().encode(Money(minorUnits: 1234, currency: .cny))
        let json = String(decoding: encoded, as: UTF8.self)
        #expect(json.contains("\"CNY\""))
        #expect(try JSONDecoder().decode(Money.self, from: encoded) == Money(minorUnits: 1234, currency: .cny))
        let bad = Data(#"{"minorUnits":1,"currency":"ABC"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Money.self, from: bad) }
    }
}

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("2.2: audit details encode as sorted, escaped JSON that parses back")
    func roundTrip() throws {
        // setup
        let map = ["z": "last", "a": "quote \" backslash \\ newline \n tab \t bell \u{7}", "中": "文"]
        // act
        let text = CanonicalJSON.encode(map)
        // check
        #expect(text.hasPrefix(#"{"a":"#))
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed == map)
        #expect(CanonicalJSON.encode([:]) == "{}")
    }
}
