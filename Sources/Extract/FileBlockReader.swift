import Foundation

/// Reads a file in large blocks with `read(2)`, and closes it when released.
final class FileBlockReader {
    private let descriptor: Int32
    /// The path as the user gave it.
    let path: String
    /// Bytes read so far: the file offset of the next block.
    private(set) var offset = 0

    /// Opens `path` for reading.
    ///
    /// - Throws: ``ExtractError`` `.unreadable` naming the file and the system's reason.
    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ExtractError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw ExtractError.unreadable(file: path, reason: "it is a folder")
        }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    /// Fills `buffer` from its start with up to `buffer.count` bytes.
    ///
    /// - Returns: The number of bytes read; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 {
                offset += count
                return count
            }
            if errno == EINTR { continue }
            throw ExtractError.unreadable(file: path, reason: String(cString: strerror(errno)))
        }
    }
}
