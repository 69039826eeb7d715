import PipelineCore

/// Email normalization and syntax checks (SPEC §4.2; the rule of `shared/conformance/email`).
public enum EmailAddress {
    /// The address trimmed (spaces, tabs, line breaks) and lower-cased.
    public static func normalize(_ raw: String) -> String {
        raw.trimmingWhitespace().lowercased()
    }

    /// Whether `address` is a deliverable envelope address: `local@domain`, a dot-atom local part of at
    /// most 64 characters, a dotted domain of letters, digits and hyphens with a letter TLD (or an IDNA
    /// A-label), 254 characters at most. No quoted strings, comments or IP literals.
    public static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.firstIndex(of: UInt8(ascii: "@")),
            bytes.lastIndex(of: UInt8(ascii: "@")) == at
        else { return false }
        return isValidLocalPart(bytes[..<at]) && isValidDomain(bytes[(at + 1)...])
    }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".utf8)

    private static func isValidLocalPart(_ local: ArraySlice<UInt8>) -> Bool {
        guard (1...64).contains(local.count) else { return false }
        return local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { atext.contains($0) }
        }
    }

    private static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        guard (1...253).contains(domain.count) else { return false }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy(isValidLabel), let tld = labels.last else { return false }
        let isAlphabetic = tld.count >= 2 && tld.allSatisfy(isLetter)
        let isALabel = tld.count > 4 && tld.prefix(4).elementsEqual("xn--".utf8)
        return isAlphabetic || isALabel
    }

    private static func isValidLabel(_ label: ArraySlice<UInt8>) -> Bool {
        guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
            return false
        }
        return label.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
