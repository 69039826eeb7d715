import ArchiveStream
import Foundation

/// Packs files `generate` wrote as CRMs and operators hand them out: each gzipped (`users.csv.gz`), or all
/// in one zip or tar.gz; the loose files are removed. Timestamps are fixed: a seed gives the same bytes.
enum ExportPacker {
    static func pack(_ names: [String], in folder: String, as packing: GenerateOptions.Packing, archiveName: String) throws {
        do {
            switch packing {
            case .gz:
                for name in names {
                    let writer = try ArchiveWriter(path: "\(folder)/\(name).gz", format: .single(.gzip))
                    try add(name, from: folder, to: writer)
                    try writer.close()
                }
            case .zip, .tarGz:
                let path = "\(folder)/\(archiveName).\(packing.rawValue)"
                let writer = try ArchiveWriter(path: path, format: packing == .zip ? .zip() : .tar(.gzip))
                for name in names { try add(name, from: folder, to: writer) }
                try writer.close()
            }
        } catch let error as ArchiveError {
            throw GenerateError.cannotWrite("\(folder): \(error.reason)")
        }
        for name in names { try FileManager.default.removeItem(atPath: "\(folder)/\(name)") }
    }

    private static func add(_ name: String, from folder: String, to writer: ArchiveWriter) throws {
        let path = "\(folder)/\(name)"
        guard let input = FileHandle(forReadingAtPath: path) else { throw GenerateError.cannotWrite(path) }
        defer { try? input.close() }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        try writer.add(name: name, size: size) { buffer in
            guard let data = try input.read(upToCount: buffer.count), !data.isEmpty else { return 0 }
            buffer.copyBytes(from: data)
            return data.count
        }
    }
}
