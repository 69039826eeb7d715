import Foundation

/// Parses the dates of an import: ISO 8601, or a mapping's patterns.
public struct DateParser {
    private let zone: TimeZone
    private let formatters: [DateFormatter]

    /// - Parameters:
    ///   - patterns: A mapping's Unicode date patterns, tried in order; none for ISO 8601.
    ///   - zone: The time zone of dates without an offset (UTC unless a mapping says otherwise).
    public init(patterns: [String] = [], zone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.zone = zone
        formatters = patterns.map { pattern in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = pattern
            formatter.isLenient = false
            return formatter
        }
    }

    /// The instant `text` stands for, or `nil` when it is not a valid date (`2024-02-30` is not).
    public func parse(_ text: String) -> Instant? {
        guard !formatters.isEmpty else { return parseISO8601(Array(text.utf8)) }
        for formatter in formatters {
            if let date = formatter.date(from: text) { return Instant(date) }
        }
        return nil
    }

    /// `YYYY-MM-DD`, optionally `T` or a space and `hh:mm[:ss[.fraction]]`, optionally `Z`, `±hh:mm`,
    /// `±hhmm` or `±hh`. Without an offset the date is in the parser's zone.
    private func parseISO8601(_ bytes: [UInt8]) -> Instant? {
        var scanner = Scanner(bytes: bytes)
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), (1...12).contains(month), day >= 1,
            day <= CivilCalendar.daysInMonth(year: year, month: month)
        else { return nil }
        var seconds: Int64 = 0
        var micros: Int64 = 0
        var offset: Int64?
        if scanner.skip("T") || scanner.skip(" ") {
            guard let hour = scanner.digits(2), scanner.skip(":"), let minute = scanner.digits(2), hour < 24, minute < 60
            else { return nil }
            var second: Int64 = 0
            if scanner.skip(":") {
                guard let value = scanner.digits(2), value < 60 else { return nil }
                second = value
                if scanner.skip(".") || scanner.skip(",") {
                    guard let (fraction, count) = scanner.fraction(), count > 0 else { return nil }
                    micros = fraction
                }
            }
            seconds = hour * 3_600 + minute * 60 + second
            if scanner.skip("Z") || scanner.skip("z") {
                offset = 0
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(2), hours <= 23 else { return nil }
                _ = scanner.skip(":")
                let minutes = scanner.atEnd ? 0 : scanner.digits(2)
                guard let minutes, minutes < 60 else { return nil }
                offset = sign * (hours * 3_600 + minutes * 60)
            }
        }
        guard scanner.atEnd else { return nil }
        let local = CivilCalendar.days(year: year, month: month, day: day) * 86_400 + seconds
        let utcSeconds = local - (offset ?? zoneOffset(atLocalSeconds: local))
        return Instant(microseconds: utcSeconds * 1_000_000 + micros)
    }

    /// The zone's offset for a local wall-clock time.
    private func zoneOffset(atLocalSeconds local: Int64) -> Int64 {
        let guess = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local))))
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - guess))))
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<(index + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }

        /// Fraction digits as microseconds (extra digits are dropped), and how many digits there were.
        mutating func fraction() -> (Int64, Int)? {
            var value: Int64 = 0
            var count = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if count < 6 { value = value * 10 + Int64(bytes[index] - 48) }
                count += 1
                index += 1
            }
            guard count <= 9 else { return nil }
            if count < 6 { for _ in count..<6 { value *= 10 } }
            return (value, count)
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
