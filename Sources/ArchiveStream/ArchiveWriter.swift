internal import CLibArchive

/// Writes a zip, a tar (optionally compressed) or a single compressed file with libarchive, streaming,
/// with fixed timestamps so that the same content gives the same bytes (`generate` and the tests use it).
public final class ArchiveWriter {
    /// A compression filter.
    public enum Compression: Sendable {
        case none, gzip, bzip2, xz
    }

    /// What to write.
    public enum Format: Sendable {
        /// A zip file (deflate), with the given options (`zip:encryption=zipcrypt` for the tests' encrypted member).
        case zip(options: String? = nil)
        /// A tar file (POSIX pax), compressed or not.
        case tar(Compression)
        /// One compressed stream of a single entry's data (`.gz`, `.bz2`, `.xz`).
        case single(Compression)
    }

    private let handle: OpaquePointer
    private var closed = false

    /// Creates `path` (replacing it).
    ///
    /// - Parameter passphrase: For an encrypted zip only.
    /// - Throws: ``ArchiveError`` when the file cannot be created.
    public init(path: String, format: Format, passphrase: String? = nil) throws {
        guard let handle = archive_write_new() else { throw ArchiveError(reason: "libarchive could not start") }
        self.handle = handle
        let compression: Compression
        switch format {
        case .zip(let options):
            archive_write_set_format_zip(handle)
            compression = .none
            if let options { try check(archive_write_set_options(handle, options)) }
        case .tar(let filter):
            archive_write_set_format_pax_restricted(handle)
            compression = filter
        case .single(let filter):
            archive_write_set_format_raw(handle)
            compression = filter
        }
        switch compression {
        case .none: archive_write_add_filter_none(handle)
        case .gzip:
            archive_write_add_filter_gzip(handle)
            try check(archive_write_set_options(handle, "gzip:!timestamp"))
        case .bzip2: archive_write_add_filter_bzip2(handle)
        case .xz: archive_write_add_filter_xz(handle)
        }
        if let passphrase { try check(archive_write_set_passphrase(handle, passphrase)) }
        try check(archive_write_open_filename(handle, path))
    }

    deinit {
        if !closed { archive_write_close(handle) }
        archive_write_free(handle)
    }

    /// Adds an entry named `name` of `size` bytes, whose data `read` supplies block by block.
    public func add(name: String, size: Int, from read: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_size(entry, Int64(size))
        clibarchive_set_regular_file(entry)
        archive_entry_set_mtime(entry, 1_767_225_599, 0)  // 2025-12-31T23:59:59Z, as generate's dates
        try check(archive_write_header(handle, entry))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var written = 0
        while written < size {
            let count = try buffer.withUnsafeMutableBytes { try read(UnsafeMutableRawBufferPointer(rebasing: $0[0..<min($0.count, size - written)])) }
            guard count > 0 else { throw ArchiveError(reason: "\(name) ended after \(written) of \(size) bytes") }
            let done = buffer.withUnsafeBytes { archive_write_data(handle, $0.baseAddress, count) }
            guard done == count else { throw ArchiveError(reason: currentError) }
            written += count
        }
        try check(archive_write_finish_entry(handle))
    }

    /// Adds an entry with the bytes `data`.
    public func add(name: String, data: [UInt8]) throws {
        var offset = 0
        try add(name: name, size: data.count) { buffer in
            let count = min(buffer.count, data.count - offset)
            buffer.copyBytes(from: data[offset..<(offset + count)])
            offset += count
            return count
        }
    }

    /// Finishes the file.
    public func close() throws {
        closed = true
        try check(archive_write_close(handle))
    }

    private func check(_ status: Int32) throws {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw ArchiveError(reason: currentError) }
    }

    private var currentError: String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive failed (\(archive_errno(handle)))"
    }
}
