internal import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PipelineCore

/// The bytes libxml2 parses, pulled through `xmlReaderForIO` from a Swift closure: a file, or the
/// decompressed data of an archive member. It keeps the first megabyte (to find the line of a DOCTYPE,
/// which libxml2 does not keep) and the first error the closure threw (libxml2 only sees "-1").
final class XMLInput {
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    private(set) var failure: (any Error)?
    private(set) var prefix: [UInt8] = []
    private static let prefixLimit = 1 << 20

    init(read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.read = read
    }

    /// libxml2's read callback: the bytes copied, 0 at the end, -1 on error.
    static let callback: xmlInputReadCallback = { context, buffer, length in
        guard let context, let buffer, length > 0 else { return -1 }
        return Unmanaged<XMLInput>.fromOpaque(context).takeUnretainedValue().fill(buffer, Int(length))
    }

    private func fill(_ buffer: UnsafeMutablePointer<CChar>, _ length: Int) -> Int32 {
        guard failure == nil else { return -1 }
        do {
            let count = try read(UnsafeMutableRawBufferPointer(start: buffer, count: length))
            if prefix.count < Self.prefixLimit {
                let kept = min(count, Self.prefixLimit - prefix.count)
                buffer.withMemoryRebound(to: UInt8.self, capacity: kept) { prefix.append(contentsOf: UnsafeBufferPointer(start: $0, count: kept)) }
            }
            return Int32(count)
        } catch {
            failure = error
            return -1
        }
    }

    /// The line of the first occurrence of `marker` in the first megabyte read (error paths only).
    func lineOfFirst(_ marker: String) -> Int? {
        let needle = Array(marker.utf8)
        guard prefix.count >= needle.count else { return nil }
        var line = 1
        for index in 0...(prefix.count - needle.count) {
            if prefix[index] == UInt8(ascii: "\n") { line += 1 }
            if prefix[index] == needle[0], Array(prefix[index..<(index + needle.count)]) == needle { return line }
        }
        return nil
    }
}

/// A file read with `read(2)`, closed when released.
final class FileDescriptorInput {
    private let descriptor: Int32
    private let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw XMLError(kind: .unreadable, location: SourceLocation(file: path, line: 0),
                           reason: "cannot open the file: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let count = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if count >= 0 { return count }
            if errno != EINTR {
                throw XMLError(kind: .unreadable, location: SourceLocation(file: path, line: 0),
                               reason: "cannot read the file: \(String(cString: strerror(errno)))")
            }
        }
    }
}
