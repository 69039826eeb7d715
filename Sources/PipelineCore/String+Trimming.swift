extension String {
    /// The string without leading and trailing whitespace (spaces, tabs, line breaks): CSV header names,
    /// XML values without the indentation of pretty-printing, libxml2's messages, and every value the
    /// validator reads.
    public func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
