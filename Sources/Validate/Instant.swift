import Foundation

/// A point in time in microseconds since 1970-01-01T00:00:00Z: what every date of an import becomes.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since the Unix epoch, UTC.
    public let microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public init(_ date: Date) {
        microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The instant that ``description`` wrote (`2024-05-02 09:14:00.000000+00`); nil for any other text.
    public init?(normalized text: String) {
        var text = text
        guard let microseconds = text.withUTF8({ Self.microseconds(normalized: $0) }) else { return nil }
        self.microseconds = microseconds
    }

    private static func microseconds(normalized bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count == 29, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "."),
              bytes[26...].elementsEqual("+00".utf8) else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let fraction = number(20..<26) else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return ((days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000_000) + fraction
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    /// The instant in PostgreSQL's `timestamptz` input form, in UTC: `2024-05-02 09:14:00.000000+00`.
    public var description: String {
        let seconds = microseconds.floorDivided(by: 1_000_000)
        let fraction = microseconds - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        // Written digit by digit into one buffer: String(format:) costs more than the rest of a row's validation.
        return String(unsafeUninitializedCapacity: 29) { buffer in
            var end = 0
            func put(_ value: Int64, width: Int) {
                var rest = value
                for index in stride(from: end + width - 1, through: end, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                end += width
            }
            func put(_ character: Unicode.Scalar) {
                buffer[end] = UInt8(ascii: character)
                end += 1
            }
            put(year, width: 4); put("-"); put(month, width: 2); put("-"); put(day, width: 2); put(" ")
            put(secondOfDay / 3_600, width: 2); put(":"); put(secondOfDay / 60 % 60, width: 2); put(":")
            put(secondOfDay % 60, width: 2); put("."); put(fraction, width: 6); put("+"); put("0"); put("0")
            return end
        }
    }
}

/// Conversions between proleptic Gregorian dates and days since 1970-01-01 (Howard Hinnant's algorithms).
enum CivilCalendar {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
