/// The Luhn (mod 10) checksum used by payment card numbers.
public enum Luhn {
    /// Whether `digits` — at least two ASCII digits and nothing else — passes the Luhn check.
    /// Returns `false` for anything else (empty, separators, letters, non-ASCII digits).
    public static func isValid(digits: some StringProtocol) -> Bool {
        guard let values = TextScan.asciiDigitValues(digits), values.count >= 2 else { return false }
        return isValid(values: values[...])
    }

    /// The digit to append to `payload` (ASCII digits only) so the result passes Luhn,
    /// or `nil` when `payload` is empty or not all ASCII digits. Useful to generate test data.
    public static func checkDigit(for payload: some StringProtocol) -> Character? {
        guard let values = TextScan.asciiDigitValues(payload), !values.isEmpty else { return nil }
        // Compute the sum as if a check digit 0 were appended, then complete it to a multiple of 10.
        let sum = weightedSum(values[...] + [0])
        return Character(String((10 - sum % 10) % 10))
    }

    /// Whether digit values (each 0–9) pass the Luhn check.
    static func isValid(values: ArraySlice<UInt8>) -> Bool {
        weightedSum(values) % 10 == 0
    }

    private static func weightedSum(_ values: ArraySlice<UInt8>) -> Int {
        var sum = 0
        var double = false
        for value in values.reversed() {
            var term = Int(value)
            if double {
                term *= 2
                if term > 9 { term -= 9 }
            }
            sum += term
            double.toggle()
        }
        return sum
    }
}
