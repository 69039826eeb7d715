/// Checks UTF-8 across block boundaries, eight ASCII bytes at a time where it can.
struct UTF8Validator {
    /// Continuation bytes still expected by the sequence that began in an earlier block.
    private var pending = 0
    /// The smallest and largest allowed value of the next byte (tightened after E0, ED, F0, F4).
    private var nextLow: UInt8 = 0x80
    private var nextHigh: UInt8 = 0xBF
    /// Where the unfinished sequence started, as an offset in the whole stream.
    private var sequenceStart = 0

    /// Validates one block.
    ///
    /// - Parameters:
    ///   - bytes: The block.
    ///   - streamOffset: The offset of the block's first byte in the whole stream.
    /// - Returns: The stream offset of the first byte of an invalid sequence, or `nil` when all is valid.
    mutating func validate(_ bytes: UnsafeRawBufferPointer, streamOffset: Int) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            if pending == 0 {
                // Fast path: eight ASCII bytes at once.
                while index + 8 <= count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                if byte < 0x80 {
                    index += 1
                    continue
                }
                sequenceStart = streamOffset + index
                switch byte {
                case 0xC2...0xDF: (pending, nextLow, nextHigh) = (1, 0x80, 0xBF)
                case 0xE0: (pending, nextLow, nextHigh) = (2, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (pending, nextLow, nextHigh) = (2, 0x80, 0xBF)
                case 0xED: (pending, nextLow, nextHigh) = (2, 0x80, 0x9F)
                case 0xF0: (pending, nextLow, nextHigh) = (3, 0x90, 0xBF)
                case 0xF1...0xF3: (pending, nextLow, nextHigh) = (3, 0x80, 0xBF)
                case 0xF4: (pending, nextLow, nextHigh) = (3, 0x80, 0x8F)
                default: return sequenceStart
                }
                index += 1
            } else {
                let byte = bytes[index]
                guard byte >= nextLow, byte <= nextHigh else { return sequenceStart }
                pending -= 1
                (nextLow, nextHigh) = (0x80, 0xBF)
                index += 1
            }
        }
        return nil
    }

    /// At the end of the stream: the offset of a sequence cut short by the end, if any.
    func finish() -> Int? {
        pending == 0 ? nil : sequenceStart
    }
}
