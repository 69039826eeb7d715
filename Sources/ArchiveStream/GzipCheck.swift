#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The check libarchive leaves out: a gzip stream ends with the CRC-32 and the size (mod 2³²) of the data
/// it holds. Corrupt deflate data often still decodes, to other bytes; this finds it.
struct GzipCheck {
    private var crc: UInt32 = 0xFFFF_FFFF
    private(set) var size = 0

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = self.crc
        Self.table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        self.crc = crc
        size += bytes.count
    }

    /// Compares with the trailer of the gzip file at `path`.
    ///
    /// - Throws: ``ArchiveError`` when the data does not match it.
    func verify(againstTrailerOf path: String) throws {
        guard let file = fopen(path, "rb") else { throw ArchiveError(reason: "cannot read the file again to check it") }
        defer { fclose(file) }
        var trailer = [UInt8](repeating: 0, count: 8)
        guard fseek(file, -8, SEEK_END) == 0, fread(&trailer, 1, 8, file) == 8 else {
            throw ArchiveError(reason: "the gzip stream has no trailer (truncated)")
        }
        let stored = trailer.withUnsafeBytes { ($0.loadUnaligned(as: UInt32.self).littleEndian, $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian) }
        guard stored == (crc ^ 0xFFFF_FFFF, UInt32(truncatingIfNeeded: size)) else {
            throw ArchiveError(
                reason: "the data does not match the gzip stream's checksum: the file is corrupt (or several gzip streams were joined: compress it as one)")
        }
    }
}
