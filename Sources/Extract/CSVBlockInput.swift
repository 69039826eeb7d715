/// The bytes of a CSV file for the parser, a block at a time: a UTF-8 byte-order mark skipped, UTF-8
/// validated as it goes (invalid bytes are an error naming the file, line and byte offset), or another
/// encoding converted to UTF-8.
struct CSVBlockInput {
    private static let blockSize = 1 << 20

    private let path: String
    private let encoding: TextEncoding
    private let open: () throws -> any ByteStream
    private let source: any ByteStream
    private var block: [UInt8]
    private var converted: [UInt8] = []
    private var validator = UTF8Validator()
    private var streamOffset = 0
    private var reachedEnd = false
    private var atStreamStart = true

    /// - Parameters:
    ///   - name: How messages name the input.
    ///   - open: Opens the input's bytes (again, on the error path that counts lines).
    init(name: String, encoding: TextEncoding, open: @escaping () throws -> any ByteStream) throws {
        self.path = name
        self.encoding = encoding
        self.open = open
        source = try open()
        block = [UInt8](repeating: 0, count: Self.blockSize)
    }

    /// How many bytes of the file on disk have been read so far.
    var bytesRead: Int { source.consumed }

    /// The current block, in UTF-8.
    var bytes: [UInt8] { encoding == .utf8 ? block : converted }

    /// Reads the next block; returns the range of ``bytes`` to parse, or `nil` at the end of the file.
    mutating func nextBlock() throws -> Range<Int>? {
        guard !reachedEnd else { return nil }
        let count = try block.withUnsafeMutableBytes { try source.read(into: $0) }
        guard count > 0 else {
            reachedEnd = true
            return nil
        }
        var start = 0
        if atStreamStart {
            atStreamStart = false
            if count >= 3, block[0] == 0xEF, block[1] == 0xBB, block[2] == 0xBF { start = 3 }
        }
        defer { streamOffset += count }
        if encoding == .utf8 {
            let failure = block.withUnsafeBytes { bytes in
                validator.validate(UnsafeRawBufferPointer(rebasing: bytes[start..<count]), streamOffset: streamOffset + start)
            }
            if let failure { throw try invalidUTF8(at: failure) }
            return start..<count
        }
        converted.removeAll(keepingCapacity: true)
        block.withUnsafeBytes { encoding.transcode(UnsafeRawBufferPointer(rebasing: $0[0..<count]), into: &converted) }
        return 0..<converted.count
    }

    /// Checks that the file does not end inside a UTF-8 sequence.
    mutating func finish() throws {
        if let offset = validator.finish() { throw try invalidUTF8(at: offset) }
    }

    private func invalidUTF8(at offset: Int) throws -> ExtractError {
        .invalidUTF8(file: path, line: try Self.lineNumber(ofOffset: offset, in: try open()), byteOffset: offset)
    }

    /// The 1-based line of a byte offset, counting LF, CRLF and lone CR as line breaks (used on errors only).
    static func lineNumber(ofOffset offset: Int, in reader: any ByteStream) throws -> Int {
        let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var buffer = [UInt8](repeating: 0, count: blockSize)
        var line = 1
        var consumed = 0
        var previous: UInt8 = 0
        while consumed < offset {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            guard count > 0 else { break }
            for byte in buffer[0..<min(count, offset - consumed)] {
                if byte == lineFeed && previous != carriageReturn || byte == carriageReturn { line += 1 }
                previous = byte
            }
            consumed += count
        }
        return line
    }
}
