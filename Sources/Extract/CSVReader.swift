import PipelineCore

/// A streaming RFC 4180 reader that works on bytes, in 1 MiB blocks.
///
/// It handles quoted fields, doubled quotes, line breaks inside quotes, CRLF, LF and lone CR (mixed),
/// a UTF-8 byte-order mark, blank lines (skipped) and a last line without a line break. Memory is bounded
/// by the block and the record size limit, whatever the file's size. The file must be valid UTF-8 unless
/// another ``TextEncoding`` is given.
public final class CSVReader {
    private enum State {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    /// The path as the user gave it.
    public let path: String
    /// The header row's column names.
    public private(set) var header: [String] = []
    /// How many bytes of the file have been read so far.
    public var bytesRead: Int { input.bytesRead }

    private var input: CSVBlockInput
    /// `input.bytes`, taken once a block: reading it from `input` copied the input (retaining all it holds) once a row.
    private var block: [UInt8] = []
    private let options: CSVOptions
    /// The part of `block` still to parse.
    private var position = 0
    private var available = 0

    private var state = State.fieldStart
    private var line = 1
    private var quoteLine = 0
    private var pendingLF = false
    private var lastWasCR = false
    private var fieldStart = 0
    private var recordHasContent = false
    private var discarding = false
    private var unquotedSpecial = [Bool](repeating: false, count: 256)
    private var quotedSpecial = [Bool](repeating: false, count: 256)

    private static let quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Opens `path` and reads its header row.
    ///
    /// - Throws: ``ExtractError`` when the file cannot be read or its header is malformed.
    public convenience init(path: String, options: CSVOptions = CSVOptions()) throws {
        try self.init(name: path, options: options) { try FileBlockReader(path: path) }
    }

    /// Reads the input that `open` opens (a file or an archive member), named `name` in messages.
    init(name: String, options: CSVOptions, open: @escaping () throws -> any ByteStream) throws {
        self.path = name
        self.options = options
        input = try CSVBlockInput(name: name, encoding: options.encoding, open: open)
        for byte in [options.delimiter, Self.quote, Self.lineFeed, Self.carriageReturn] {
            unquotedSpecial[Int(byte)] = true
        }
        for byte in [Self.quote, Self.lineFeed, Self.carriageReturn] {
            quotedSpecial[Int(byte)] = true
        }
        var row = CSVRow()
        if try next(into: &row) {
            header = row.fields
        }
    }

    /// Reads the next record into `row`, skipping blank lines.
    ///
    /// - Returns: `false` at the end of the file.
    /// - Throws: ``ExtractError`` for invalid UTF-8 or a quoted field still open at the end of the file.
    public func next(into row: inout CSVRow) throws -> Bool {
        row.reset(line: line)
        fieldStart = 0
        recordHasContent = false
        discarding = false
        while true {
            if position == available {
                block = []  // (not to share the buffer that the input refills in place)
                guard let fresh = try input.nextBlock() else { return try finishAtEnd(&row) }
                block = input.bytes
                (position, available) = (fresh.lowerBound, fresh.upperBound)
            }
            let complete = parseAvailable(&row)
            if complete { return true }
        }
    }

    /// Parses from `position` until a record ends (`true`) or the block is used up (`false`).
    private func parseAvailable(_ row: inout CSVRow) -> Bool {
        let delimiter = options.delimiter
        return block.withUnsafeBufferPointer { buffer in
            unquotedSpecial.withUnsafeBufferPointer { unquotedSpecial in
                quotedSpecial.withUnsafeBufferPointer { quotedSpecial in
                    var index = position
                    let end = available
                    defer { position = index }
                    if pendingLF {
                        pendingLF = false
                        if buffer[index] == Self.lineFeed {
                            index += 1
                            if index == end { return false }
                        }
                    }
                    while index < end {
                        switch state {
                        case .fieldStart:
                            if buffer[index] == Self.quote {
                                state = .quoted
                                quoteLine = line
                                recordHasContent = true
                                lastWasCR = false
                                index += 1
                            } else {
                                state = .unquoted
                            }
                        case .unquoted:
                            let runStart = index
                            while index < end, !unquotedSpecial[Int(buffer[index])] { index += 1 }
                            if index > runStart {
                                recordHasContent = true
                                append(UnsafeBufferPointer(rebasing: buffer[runStart..<index]), to: &row)
                            }
                            guard index < end else { return false }
                            let byte = buffer[index]
                            index += 1
                            if byte == delimiter {
                                recordHasContent = true
                                endField(&row)
                            } else if byte == Self.quote {
                                // A quote inside an unquoted field is kept as a character.
                                recordHasContent = true
                                append(byte, to: &row)
                            } else {
                                line += 1
                                pendingLF = byte == Self.carriageReturn
                                if endRecord(&row) { return true }
                                if pendingLF, index < end {
                                    pendingLF = false
                                    if buffer[index] == Self.lineFeed { index += 1 }
                                }
                            }
                        case .quoted:
                            let runStart = index
                            while index < end, !quotedSpecial[Int(buffer[index])] { index += 1 }
                            if index > runStart {
                                lastWasCR = false
                                append(UnsafeBufferPointer(rebasing: buffer[runStart..<index]), to: &row)
                            }
                            guard index < end else { return false }
                            let byte = buffer[index]
                            index += 1
                            if byte == Self.quote {
                                state = .quoteInQuoted
                            } else {
                                if byte == Self.carriageReturn || !lastWasCR { line += 1 }
                                lastWasCR = byte == Self.carriageReturn
                                append(byte, to: &row)
                            }
                        case .quoteInQuoted:
                            let byte = buffer[index]
                            index += 1
                            if byte == Self.quote {
                                append(byte, to: &row)
                                state = .quoted
                                lastWasCR = false
                            } else if byte == delimiter {
                                endField(&row)
                            } else if byte == Self.lineFeed || byte == Self.carriageReturn {
                                line += 1
                                pendingLF = byte == Self.carriageReturn
                                if endRecord(&row) { return true }
                            } else {
                                if row.problem == nil { row.problem = .textAfterClosingQuote(field: row.ends.count) }
                                append(byte, to: &row)
                                state = .unquoted
                            }
                        }
                    }
                    return false
                }
            }
        }
    }

    private func append(_ bytes: UnsafeBufferPointer<UInt8>, to row: inout CSVRow) {
        guard !discarding else { return }
        row.storage.append(contentsOf: bytes)
        enforceLimits(&row)
    }

    private func append(_ byte: UInt8, to row: inout CSVRow) {
        guard !discarding else { return }
        row.storage.append(byte)
        enforceLimits(&row)
    }

    private func enforceLimits(_ row: inout CSVRow) {
        if row.storage.count - fieldStart > options.maxFieldBytes {
            row.problem = row.problem ?? .fieldTooLarge(field: row.ends.count, limit: options.maxFieldBytes)
        } else if row.storage.count > options.maxRecordBytes {
            row.problem = row.problem ?? .recordTooLarge(limit: options.maxRecordBytes)
        } else {
            return
        }
        // Keep what was read so far within the limit; skip the rest of the record.
        row.storage.removeSubrange(fieldStart...)
        discarding = true
    }

    private func endField(_ row: inout CSVRow) {
        row.ends.append(row.storage.count)
        fieldStart = row.storage.count
        state = .fieldStart
    }

    /// Ends the record at a line break; returns `false` for a blank line, which is skipped.
    private func endRecord(_ row: inout CSVRow) -> Bool {
        state = .fieldStart
        guard recordHasContent else {
            row.reset(line: line)
            fieldStart = 0
            discarding = false
            return false
        }
        row.ends.append(row.storage.count)
        return true
    }

    private func finishAtEnd(_ row: inout CSVRow) throws -> Bool {
        try input.finish()
        if state == .quoted {
            throw ExtractError.unterminatedQuote(file: path, line: quoteLine)
        }
        guard recordHasContent else { return false }
        row.ends.append(row.storage.count)
        state = .fieldStart
        recordHasContent = false
        return true
    }
}
