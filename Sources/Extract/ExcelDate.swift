import Foundation

/// Excel's dates: a number of days (the fraction is the time of day) counted in the 1900 system (with
/// Lotus' phantom 1900-02-29) or the 1904 system, shown as a date when the cell's number format is one.
enum ExcelDate {
    /// The instant of serial number `serial`, to the second; Excel dates have no time zone, so the
    /// result is that wall-clock time in UTC.
    static func date(fromSerial serial: Double, date1904: Bool) -> Date? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }  // up to 9999-12-31
        // Days from 1970-01-01 to the system's day 0: 1899-12-30 (serials past the phantom leap day),
        // 1899-12-31 (the first two months of 1900), 1904-01-01.
        let epoch: Double = date1904 ? -24_107 : serial < 61 ? -25_568 : -25_569
        let seconds = ((serial + epoch) * 86_400).rounded()
        return Date(timeIntervalSince1970: seconds)
    }

    /// Whether number format `id` (with its code, for custom formats) shows a date or a time.
    static func isDateFormat(id: Int, code: String?) -> Bool {
        if (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id) { return true }
        guard id >= 164, let code else { return false }
        // Letters outside quoted text, escapes and [colour]/[$-locale] sections.
        var inQuote = false, inBracket = false, escaped = false
        for character in code.lowercased() {
            if escaped { escaped = false; continue }
            switch character {
            case "\\": escaped = true
            case "\"": inQuote.toggle()
            case "[" where !inQuote: inBracket = true
            case "]" where !inQuote: inBracket = false
            default:
                if !inQuote, !inBracket, "ymdhs".contains(character) { return true }
            }
        }
        return false
    }
}
