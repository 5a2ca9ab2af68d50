#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// A day in the proleptic Gregorian calendar, without time or time zone (for example a birth date).
///
/// Only real dates can be built: `CalendarDate(year: 2023, month: 2, day: 29)` is `nil`.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The year, 1...9999.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of the month, 1...31 (depending on the month).
    public let day: Int

    /// China Standard Time (UTC+8), the offset used to decide "today" for Chinese documents.
    public static let chinaStandardTimeOffsetSeconds = 8 * 3600

    /// A date, or `nil` when it does not exist in the calendar (or the year is outside 1...9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Self.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in `month` of `year` (0 for a month outside 1...12).
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: 31
        case 4, 6, 9, 11: 30
        case 2: isLeapYear(year) ? 29 : 28
        default: 0
        }
    }

    /// The calendar day that contains `instant` at the given offset from UTC
    /// (China Standard Time by default). Instants outside years 1...9999 are clamped.
    public static func on(
        _ instant: Date, utcOffsetSeconds: Int = CalendarDate.chinaStandardTimeOffsetSeconds
    ) -> CalendarDate {
        let seconds = instant.timeIntervalSince1970
        let minDays = Self.daysSince1970(year: 1, month: 1, day: 1)
        let maxDays = Self.daysSince1970(year: 9999, month: 12, day: 31)
        guard seconds.isFinite else {
            return seconds > 0 ? Self(daysSince1970: maxDays) : Self(daysSince1970: minDays)
        }
        let offset = Double(max(-86_400, min(86_400, utcOffsetSeconds)))
        let dayNumber = ((seconds + offset) / 86_400).rounded(.down)
        if dayNumber <= Double(minDays) { return Self(daysSince1970: minDays) }
        if dayNumber >= Double(maxDays) { return Self(daysSince1970: maxDays) }
        return Self(daysSince1970: Int(dayNumber))
    }

    /// The same date as `DateComponents` (year, month, day only).
    public var dateComponents: DateComponents {
        DateComponents(year: year, month: month, day: day)
    }

    /// Whole years from this date to `date` (an age on `date`); negative when `date` is earlier.
    public func years(until date: CalendarDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Chronological order.
    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    // Days/civil conversions after Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".

    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private init(daysSince1970 days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }
}
