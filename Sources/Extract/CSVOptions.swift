/// Options of the CSV reader.
public struct CSVOptions: Sendable, Equatable {
    /// The field separator: `,` `;` tab or `|`.
    public var delimiter: UInt8
    /// The file's encoding; anything but UTF-8 is converted while reading.
    public var encoding: TextEncoding
    /// The largest field, in UTF-8 bytes, before the row is rejected as too large.
    public var maxFieldBytes: Int
    /// The largest record, in UTF-8 bytes, before the row is rejected as too large.
    public var maxRecordBytes: Int

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), encoding: TextEncoding = .utf8,
        maxFieldBytes: Int = 1 << 20, maxRecordBytes: Int = 16 << 20
    ) {
        self.delimiter = delimiter
        self.encoding = encoding
        self.maxFieldBytes = maxFieldBytes
        self.maxRecordBytes = maxRecordBytes
    }
}
