internal import CLibArchive

/// Why an archive or a compressed file cannot be read: libarchive's reason, or a limit it broke.
public struct ArchiveError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// One entry of an archive, as its header describes it.
public struct ArchiveEntry: Sendable, Equatable {
    /// The path inside the archive, as stored.
    public let name: String
    /// Whether the entry is a regular file (not a folder, a link or a device).
    public let isRegularFile: Bool
    /// Whether its data is encrypted (it cannot be read without a password).
    public let isEncrypted: Bool
}

/// A compressed file (gzip, bzip2, xz: one stream) or an archive (zip, tar, optionally compressed), read
/// with libarchive entry by entry, streaming: nothing is written to disk and memory does not grow with
/// the data. Reading an entry stops with an ``ArchiveError`` when its data expands past the limits of a
/// zip bomb.
public final class ArchiveReader {
    /// What the file is.
    public enum Kind: Sendable {
        /// One compressed stream (`.gz`, `.bz2`, `.xz`): a single entry, the decompressed data.
        case compressed
        /// A zip or tar file (a tar may be compressed): one entry per member.
        case archive
    }

    /// How far an entry may expand: past `minimumBytes`, more than `ratio` bytes of data per byte read
    /// from the file is refused as a zip bomb.
    public struct Limits: Sendable {
        public var ratio: Int
        public var minimumBytes: Int

        public init(ratio: Int = 200, minimumBytes: Int = 16 << 20) {
            self.ratio = ratio
            self.minimumBytes = minimumBytes
        }
    }

    private let handle: OpaquePointer
    private let path: String
    private let kind: Kind
    private let limits: Limits
    private var entryDataBytes = 0
    private var entryRawStart = 0
    /// For a gzip file: the check of its data against its trailer, at its end.
    private var gzipCheck: GzipCheck?

    /// Opens `path`.
    ///
    /// - Throws: ``ArchiveError`` when the file cannot be opened or is not of the kind.
    public init(path: String, kind: Kind, limits: Limits = Limits()) throws {
        guard let handle = archive_read_new() else { throw ArchiveError(reason: "libarchive could not start") }
        self.handle = handle
        self.path = path
        self.kind = kind
        self.limits = limits
        archive_read_support_filter_all(handle)
        switch kind {
        case .compressed: archive_read_support_format_raw(handle)
        case .archive:
            archive_read_support_format_zip(handle)
            archive_read_support_format_tar(handle)
        }
        // (On failure deinit frees the handle: every property is set by now.)
        guard archive_read_open_filename(handle, path, 1 << 20) == ARCHIVE_OK else { throw ArchiveError(reason: currentError) }
    }

    deinit {
        archive_read_free(handle)
    }

    /// Bytes of the file read so far (compressed).
    public var rawBytesRead: Int { Int(archive_filter_bytes(handle, -1)) }

    /// The next entry's header, or `nil` after the last; its data is then read with ``read(into:)``.
    ///
    /// - Throws: ``ArchiveError`` for a corrupt or truncated archive, or a compressed file that is not
    ///   compressed.
    public func nextEntry() throws -> ArchiveEntry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw ArchiveError(reason: currentError) }
        if kind == .compressed, archive_filter_count(handle) < 2 {
            throw ArchiveError(reason: "the file is not compressed as its name says")
        }
        entryDataBytes = 0
        entryRawStart = rawBytesRead
        if kind == .compressed, isGzip { gzipCheck = GzipCheck() }
        return ArchiveEntry(
            name: archive_entry_pathname(entry).map { String(cString: $0) } ?? "",
            isRegularFile: kind == .compressed || clibarchive_is_regular_file(entry) == 1,
            isEncrypted: archive_entry_is_encrypted(entry) != 0)
    }

    /// Reads the current entry's data into `buffer`; returns the number of bytes, 0 at its end.
    ///
    /// - Throws: ``ArchiveError`` for corrupt data, an encrypted entry, or data past the limits.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = archive_read_data(handle, buffer.baseAddress, buffer.count)
        guard count >= 0 else { throw ArchiveError(reason: currentError) }
        if gzipCheck != nil {
            if count == 0 { try gzipCheck?.verify(againstTrailerOf: path) }
            gzipCheck?.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        entryDataBytes += count
        let raw = max(rawBytesRead - entryRawStart, 1)
        if entryDataBytes > limits.minimumBytes, entryDataBytes / raw > limits.ratio {
            throw ArchiveError(
                reason: "it expands more than \(limits.ratio) times (\(entryDataBytes) bytes from \(raw)): refused as a zip bomb")
        }
        return count
    }

    /// Whether the file is gzip-compressed (known once the first entry's header was read).
    public var isGzip: Bool { archive_filter_code(handle, 0) == ARCHIVE_FILTER_GZIP }

    /// Reads the whole decompressed stream of the gzip file at `path` (a `.tar.gz`, whose members'
    /// reads do not see it all) and checks it against its trailer, within the zip-bomb limits.
    ///
    /// - Throws: ``ArchiveError`` when it is corrupt, not compressed, or a bomb.
    public static func verifyGzip(_ path: String) throws {
        let reader = try ArchiveReader(path: path, kind: .compressed)
        guard try reader.nextEntry() != nil, reader.isGzip else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while try buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }) > 0 {}
    }

    private var currentError: String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive failed (\(archive_errno(handle)))"
    }
}
