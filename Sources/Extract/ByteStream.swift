import ArchiveStream

/// The bytes of one input, block by block: a file on disk, or the decompressed data of a compressed file
/// or of one archive member.
protocol ByteStream: AnyObject {
    /// Bytes of the file on disk consumed so far (progress is measured on disk).
    var consumed: Int { get }
    /// Fills `buffer` from its start; returns the number of bytes, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension FileBlockReader: ByteStream {
    var consumed: Int { offset }
}

/// The decompressed data of a compressed file (`member` nil) or of one member of an archive.
final class ArchiveMemberStream: ByteStream {
    private let reader: ArchiveReader
    /// How messages name the input (`archive.zip!/member.csv`).
    private let name: String

    /// Opens `path` and moves to `member`.
    ///
    /// - Throws: ``ExtractError`` `.badArchive` when the file is corrupt or the member is not there.
    init(path: String, kind: ArchiveReader.Kind, member: String?, name: String) throws {
        self.name = name
        do {
            reader = try ArchiveReader(path: path, kind: kind)
            while let entry = try reader.nextEntry() {
                if member == nil || entry.name == member { return }
            }
        } catch let error as ArchiveError {
            throw ExtractError.badArchive(file: name, reason: error.reason)
        }
        throw ExtractError.badArchive(file: name, reason: "the member is no longer in the archive")
    }

    var consumed: Int { reader.rawBytesRead }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            return try reader.read(into: buffer)
        } catch let error as ArchiveError {
            throw ExtractError.badArchive(file: name, reason: error.reason)
        }
    }
}
