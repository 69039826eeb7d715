import Foundation
import Generate
import Testing
@testable import Validate

/// The byte-level checks (`EmailAddress.isValid`, `RecordValidator.isAbsoluteHTTPURL`) against an
/// independent model of the same rules written as regular expressions, on strings built at random from
/// fragments that reach the rules' edges (dots, hyphens, `@`, length limits, schemes in any case,
/// control characters, non-ASCII letters).
@Suite("Byte checks against a regular-expression model")
struct ByteCheckModelTests {
    private static let trials = 20_000

    @Test("email verdicts agree with the model")
    func emails() {
        var generator = SeededGenerator(seed: 20_261_206)
        // A local part, usually one `@`, a domain.
        let local = ["ana", "ana", "Z", "b.c", "b.c", "0", "9", ".", "-", "_", "+", "!", "{", "~", "é", " ", "@", String(repeating: "b", count: 64)]
        let domain = [
            "ex", "ex", ".com", ".com", ".com", ".io", "sub.", "sub.", ".", "-", "x-", "-x", "xn--", "9", "é", "\t", String(repeating: "c", count: 63),
            String(repeating: "d.", count: 127),
        ]
        Self.compare(EmailAddress.isValid, with: EmailModel.isValid, using: &generator) { generator in
            Self.fragments(of: local, using: &generator) + Self.one(of: ["@", "@", "@", "@@", ""], using: &generator)
                + Self.fragments(of: domain, using: &generator)
        }
    }

    @Test("URL verdicts agree with the model")
    func urls() {
        var generator = SeededGenerator(seed: 20_261_207)
        // A scheme, its separator, an authority and a path.
        let schemes = ["http", "https", "HTTPS", "Http", "httpſ", "ftp", "h", ":", ""]
        let authority = ["user", "@", "host", ".example", ":80", ":", "[", "]", "::1", " ", "é"]
        let path = ["/", "/v.mp4", "?q", "#f", " ", "\u{7}", "\u{7F}", "é", "-", "@", ":"]
        Self.compare(RecordValidator.isAbsoluteHTTPURL, with: URLModel.isAbsoluteHTTPURL, using: &generator) { generator in
            Self.one(of: schemes, using: &generator) + Self.one(of: ["://", "://", "://", ":", "//", ":/"], using: &generator)
                + Self.fragments(of: authority, using: &generator) + Self.fragments(of: path, using: &generator)
        }
    }

    @Test("normalization equals trimming and lower-casing, ASCII or not")
    func normalization() {
        var generator = SeededGenerator(seed: 20_261_208)
        let fragments = ["a", "B", "é", "É", "İ", "ß", "@", ".", " ", "\t", "\r\n", "x.io", "Ex.COM"]
        for _ in 0..<Self.trials {
            let candidate = Self.fragments(of: fragments, using: &generator)
            #expect(EmailAddress.normalize(candidate) == candidate.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
        }
    }

    /// `check`'s verdict on each of `trials` candidates equals `model`'s; at least 1 % of them are valid, so that
    /// both verdicts are compared.
    private static func compare(
        _ check: (String) -> Bool, with model: (String) -> Bool, using generator: inout SeededGenerator,
        candidate: (inout SeededGenerator) -> String
    ) {
        var valid = 0
        for _ in 0..<trials {
            let candidate = candidate(&generator)
            let expected = model(candidate)
            #expect(check(candidate) == expected, "\(candidate.debugDescription)")
            if expected { valid += 1 }
        }
        #expect(valid > trials / 100, "too few valid candidates to compare: \(valid)")
    }

    /// One to four fragments drawn at random, joined.
    private static func fragments(of list: [String], using generator: inout SeededGenerator) -> String {
        (0...Int(generator.next() % 4)).map { _ in one(of: list, using: &generator) }.joined()
    }

    private static func one(of list: [String], using generator: inout SeededGenerator) -> String {
        list[Int(generator.next() % UInt64(list.count))]
    }
}

/// The email rule as regular expressions: a dot-atom local part, dotted labels of letters, digits and inner
/// hyphens, and the length limits and top-level-domain rule checked on the matched parts.
private enum EmailModel {
    private static let atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
    private static let label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    private static let pattern = try! NSRegularExpression(pattern: "\\A(\(atext)+(?:\\.\(atext)+)*)@(\(label)(?:\\.\(label))+)\\z")

    static func isValid(_ address: String) -> Bool {
        let whole = NSRange(address.startIndex..., in: address)
        guard let match = pattern.firstMatch(in: address, range: whole),
            let local = Range(match.range(at: 1), in: address).map({ address[$0] }),
            let domain = Range(match.range(at: 2), in: address).map({ address[$0] })
        else { return false }
        let labels = domain.split(separator: ".")
        let tld = labels.last!
        let tldAllowed = (tld.count >= 2 && tld.allSatisfy(\.isLetter)) || (tld.count > 4 && tld.hasPrefix("xn--"))
        return address.utf8.count <= 254 && local.utf8.count <= 64 && domain.utf8.count <= 253
            && labels.allSatisfy { $0.count <= 63 } && tldAllowed
    }
}

/// The URL rule as a regular expression: `http` or `https` in ASCII letters of any case, `//`, user
/// information up to the last `@`, a host up to a port, and no space or control character anywhere.
private enum URLModel {
    private static let pattern = try! NSRegularExpression(
        pattern: "\\A[Hh][Tt][Tt][Pp][Ss]?://(?:[^/?#]*@)?([^/?#:@]*)(?::[^/?#]*)?(?:[/?#]|\\z)")

    static func isAbsoluteHTTPURL(_ url: String) -> Bool {
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let match = pattern.firstMatch(in: url, range: NSRange(url.startIndex..., in: url)),
            let host = Range(match.range(at: 1), in: url).map({ url[$0] })
        else { return false }
        return !host.isEmpty && (host.first != "[" || host.utf8.count > 2)
    }
}
