import PipelineCore

/// Email normalization and syntax checks (SPEC §4.2; the rule of `shared/conformance/email`).
public enum EmailAddress {
    /// The address trimmed (spaces, tabs, line breaks) and lower-cased.
    public static func normalize(_ raw: String) -> String {
        let trimmed = raw.trimmingWhitespace()
        // Most addresses are lower-case ASCII already: kept as they are, without a new string.
        if trimmed.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) {
            return trimmed
        }
        return trimmed.lowercased()
    }

    /// Whether `address` is a deliverable envelope address: `local@domain`, a dot-atom local part of at
    /// most 64 characters, a dotted domain of letters, digits and hyphens with a letter TLD (or an IDNA
    /// A-label), 254 characters at most. No quoted strings, comments or IP literals.
    public static func isValid(_ address: String) -> Bool {
        // Checked on the UTF-8 bytes in place: this runs for every row of every file.
        var address = address
        return address.withUTF8 { bytes in
            guard bytes.count <= 254, let at = bytes.firstIndex(of: UInt8(ascii: "@")),
                bytes.lastIndex(of: UInt8(ascii: "@")) == at
            else { return false }
            return isValidLocalPart(UnsafeBufferPointer(rebasing: bytes[..<at]))
                && isValidDomain(UnsafeBufferPointer(rebasing: bytes[(at + 1)...]))
        }
    }

    /// Atoms of `atext` joined by single dots.
    private static func isValidLocalPart(_ local: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...64).contains(local.count) else { return false }
        var afterDot = true  // the start counts as one: no leading dot, no two dots in a row
        for byte in local {
            if byte == UInt8(ascii: ".") {
                if afterDot { return false }
                afterDot = true
            } else if isAtext(byte) {
                afterDot = false
            } else {
                return false
            }
        }
        return !afterDot
    }

    private static func isValidDomain(_ domain: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...253).contains(domain.count) else { return false }
        var labels = 0
        var labelStart = 0
        for index in 0...domain.count where index == domain.count || domain[index] == UInt8(ascii: ".") {
            guard isValidLabel(UnsafeBufferPointer(rebasing: domain[labelStart..<index])) else { return false }
            labels += 1
            if index < domain.count { labelStart = index + 1 }
        }
        guard labels >= 2 else { return false }
        let tld = UnsafeBufferPointer(rebasing: domain[labelStart...])
        let isAlphabetic = tld.count >= 2 && tld.allSatisfy(isLetter)
        let isALabel = tld.count > 4 && tld.prefix(4).elementsEqual("xn--".utf8)
        return isAlphabetic || isALabel
    }

    private static func isValidLabel(_ label: UnsafeBufferPointer<UInt8>) -> Bool {
        guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
            return false
        }
        return label.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// RFC 5322 `atext`: letters, digits and ``!#$%&'*+/=?^_`{|}~-``.
    private static func isAtext(_ byte: UInt8) -> Bool {
        if isLetter(byte) || isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"),
            UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"),
            UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
