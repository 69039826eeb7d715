extension String {
    /// The string without leading and trailing whitespace (spaces, tabs, line breaks): CSV header names,
    /// XML values without the indentation of pretty-printing, libxml2's messages, and every value the
    /// validator reads.
    public func trimmingWhitespace() -> String {
        // Most values begin and end with a visible ASCII character, which is never whitespace (nor part of a
        // grapheme that is): answered from two bytes, without Unicode properties.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return self
        }
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
