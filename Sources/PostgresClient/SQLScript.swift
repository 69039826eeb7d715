import Foundation

/// Splits an SQL script into its statements, as psql does: at each `;` that is not inside a string, a
/// quoted identifier, a dollar-quoted body, a comment or parentheses. Unlike psql it does not know
/// SQL-standard function bodies (`BEGIN ATOMIC … END`): migrations write bodies dollar-quoted.
///
/// Scripts run statement by statement because Citus propagates a DDL statement to the workers by its
/// text: a text holding several statements reaches them whole, and they refuse it.
enum SQLScript {
    /// The statements of `script`, each without its `;`, blank ones (and comment-only ones) left out.
    static func statements(in script: String) -> [String] {
        let bytes = Array(script.utf8)
        var statements: [String] = []
        var start = 0
        var hasContent = false
        var parentheses = 0
        var index = 0

        func finish(at end: Int) {
            if hasContent, let text = String(validating: bytes[start..<end], as: UTF8.self) {
                statements.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            start = end + 1
            hasContent = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where next(bytes, index) == UInt8(ascii: "-"):
                index = lineEnd(bytes, from: index)
                continue
            case UInt8(ascii: "/") where next(bytes, index) == UInt8(ascii: "*"):
                index = blockCommentEnd(bytes, from: index)
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let escapes = byte == UInt8(ascii: "'") && isEscapeStringPrefix(bytes, before: index)
                index = quotedEnd(bytes, from: index, quote: byte, backslashEscapes: escapes)
                hasContent = true
                continue
            case UInt8(ascii: "$"):
                if let tag = dollarTag(bytes, at: index) {
                    index = dollarQuotedEnd(bytes, from: index + tag.count, tag: tag)
                    hasContent = true
                    continue
                }
                hasContent = true
            case UInt8(ascii: "("):
                parentheses += 1
                hasContent = true
            case UInt8(ascii: ")"):
                parentheses = max(parentheses - 1, 0)
                hasContent = true
            case UInt8(ascii: ";") where parentheses == 0:
                finish(at: index)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            default:
                hasContent = true
            }
            index += 1
        }
        finish(at: bytes.count)
        return statements
    }

    private static func next(_ bytes: [UInt8], _ index: Int) -> UInt8? {
        index + 1 < bytes.count ? bytes[index + 1] : nil
    }

    private static func lineEnd(_ bytes: [UInt8], from index: Int) -> Int {
        bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
    }

    /// Block comments nest in PostgreSQL.
    private static func blockCommentEnd(_ bytes: [UInt8], from index: Int) -> Int {
        var depth = 0
        var index = index
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), next(bytes, index) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*"), next(bytes, index) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return index
    }

    /// The index after the closing quote; a doubled quote is one quote inside.
    private static func quotedEnd(_ bytes: [UInt8], from index: Int, quote: UInt8, backslashEscapes: Bool) -> Int {
        var index = index + 1
        while index < bytes.count {
            if backslashEscapes, bytes[index] == UInt8(ascii: "\\") {
                index += 2
            } else if bytes[index] == quote {
                if next(bytes, index) == quote { index += 2 } else { return index + 1 }
            } else {
                index += 1
            }
        }
        return index
    }

    /// `$tag$` (or `$$`) starting at `index`, or nil for a `$` that opens no quote (`$1`, `a$b`).
    private static func dollarTag(_ bytes: [UInt8], at index: Int) -> [UInt8]? {
        if index > 0, isIdentifierByte(bytes[index - 1]) { return nil }
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "$") {
            guard isIdentifierByte(bytes[end]), !(end == index + 1 && isDigit(bytes[end])) else { return nil }
            end += 1
        }
        return end < bytes.count ? Array(bytes[index...end]) : nil
    }

    private static func dollarQuotedEnd(_ bytes: [UInt8], from index: Int, tag: [UInt8]) -> Int {
        var index = index
        while index + tag.count <= bytes.count {
            if bytes[index] == UInt8(ascii: "$"), bytes[index..<index + tag.count].elementsEqual(tag) {
                return index + tag.count
            }
            index += 1
        }
        return bytes.count
    }

    /// `E'…'` (or `e'…'`): a string in which a backslash escapes the next character.
    private static func isEscapeStringPrefix(_ bytes: [UInt8], before index: Int) -> Bool {
        guard index > 0, bytes[index - 1] | 0x20 == UInt8(ascii: "e") else { return false }
        return index == 1 || !isIdentifierByte(bytes[index - 2])
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A byte that can continue an identifier (`$` included: `a$b` is one name).
    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$") || byte >= 0x80
            || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
    }
}
