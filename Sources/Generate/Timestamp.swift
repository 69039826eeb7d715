import Foundation

/// The generator's timestamps: ISO 8601 with seconds and an offset (`2025-06-19T17:57:04-05:00`, `Z` for
/// UTC), formatted and parsed by hand — `ISO8601DateFormatter` made generating 140,000 users take
/// minutes.
enum Timestamp {
    /// `date` as the wall-clock time at `offset` seconds from UTC.
    static func format(_ date: Date, offset: Int) -> String {
        var seconds = time_t(Int(date.timeIntervalSince1970) + offset)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let zone = offset == 0 ? "Z" : (offset < 0 ? "-" : "+") + two(Int32(abs(offset) / 3_600)) + ":" + two(Int32(abs(offset) % 3_600 / 60))
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))" + zone
    }

    /// The instant of a timestamp in exactly the form ``format(_:offset:)`` writes, or `nil`.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 || bytes.count == 25, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int32(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var parts = tm()
        (parts.tm_year, parts.tm_mon, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec) = (year - 1900, month - 1, day, hour, minute, second)
        var offset = 0
        if bytes.count == 25 {
            guard let hours = number(20..<22), let minutes = number(23..<25) else { return nil }
            offset = (bytes[19] == 45 ? -1 : 1) * Int(hours * 3_600 + minutes * 60)
        }
        let local = timegm(&parts)
        // A day that does not exist (2025-02-30) is no timestamp: timegm would roll it over.
        var check = local
        var back = tm()
        gmtime_r(&check, &back)
        guard back.tm_mday == day else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(local - offset))
    }
}
