import Foundation
import PipelineCore

extension InputFile {
    /// Expands folders (their CSV, XML, compressed and archive files, sorted by name) and archives (their
    /// members, in archive order), and classifies every input.
    ///
    /// - Parameters:
    ///   - paths: Files or folders, as given on the command line.
    ///   - format: Forces the format of every loose file (`--format`); otherwise the name decides.
    ///   - mapping: Its `files` patterns name the entity of foreign CSV files (and archive members).
    ///   - skipped: Receives each archive member that is no CRM file (an archive holds other objects too).
    /// - Throws: ``ExtractError`` `.unreadable` (exit 66) for a missing path, `.unknownKind` (exit 64) for a
    ///   file whose format or entity cannot be told, `.badArchive` or `.unsupportedFormat` (exit 65).
    public static func collect(
        _ paths: [String], format: InputFormat?, mapping: Mapping?, skipped: (String) -> Void = { _ in }
    ) throws -> [InputFile] {
        var files: [InputFile] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw ExtractError.unreadable(file: path, reason: "no such file or folder")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                for name in names where !name.hasPrefix(".") && InputName(name).isInput {
                    files += try expand((path as NSString).appendingPathComponent(name), format: format, mapping: mapping, skipped: skipped)
                }
            } else {
                files += try expand(path, format: format, mapping: mapping, skipped: skipped)
            }
        }
        return files
    }

    /// One file: itself, or an archive's members.
    private static func expand(
        _ path: String, format: InputFormat?, mapping: Mapping?, skipped: (String) -> Void
    ) throws -> [InputFile] {
        switch (format, InputName((path as NSString).lastPathComponent)) {
        case (nil, .archive), (.xlsx, _), (nil, .workbook): break
        default: return [try classify(path, format: format, mapping: mapping)]
        }
        if format == .xlsx || InputName((path as NSString).lastPathComponent) == .workbook {
            return try sheets(of: path, mapping: mapping, skipped: skipped)
        }
        var files: [InputFile] = []
        for member in try ArchiveCatalog.members(of: path) {
            let name = (member as NSString).lastPathComponent
            guard case .plain(let memberFormat) = InputName(name), !name.hasPrefix("."), !member.hasPrefix("__MACOSX/") else {
                skipped("\(path)!/\(member)")
                continue
            }
            let entity = memberFormat == .csv ? mapping?.entity(forFile: name) ?? nativeEntity(ofName: name) : nil
            guard memberFormat == .xml || entity != nil else {
                skipped("\(path)!/\(member)")
                continue
            }
            files.append(InputFile(path: path, format: memberFormat, entity: entity, packaging: .archived(member: member)))
        }
        guard !files.isEmpty else {
            throw ExtractError.unknownKind(
                file: path, reason: "the archive holds no CRM file: members are classified by their own names, as loose files are")
        }
        return files
    }

    /// A workbook's sheets: each read as the entity a mapping's `sheet:` names, else the one the sheet's own
    /// name says (`users`, `job_requests`, …), else the entity of a mapping whose `files:` glob matches the
    /// workbook (and names no sheet); the other sheets are skipped.
    private static func sheets(of path: String, mapping: Mapping?, skipped: (String) -> Void) throws -> [InputFile] {
        let workbookName = (path as NSString).lastPathComponent
        var files: [InputFile] = []
        for sheet in try XLSXWorkbook(path: path, withStrings: false).sheets {
            let bySheet = Entity.allCases.first { mapping?.entities[$0]?.sheet == sheet.name }
            let byFile = Entity.allCases.first { entity in
                mapping?.entities[entity].map { $0.sheet == nil && $0.matches(fileName: workbookName) } == true
            }
            guard let entity = bySheet ?? nativeEntity(ofName: sheet.name) ?? byFile else {
                skipped("\(path)!/\(sheet.name)")
                continue
            }
            files.append(InputFile(path: path, format: .xlsx, entity: entity, packaging: .sheet(name: sheet.name, part: sheet.part)))
        }
        guard !files.isEmpty else {
            throw ExtractError.unknownKind(
                file: path, reason: "no sheet of the workbook holds CRM records: name a sheet users, job_requests, …, or map it with sheet: in a mapping")
        }
        return files
    }

    /// Classifies one file that is not an archive.
    public static func classify(_ path: String, format: InputFormat?, mapping: Mapping?) throws -> InputFile {
        let name = (path as NSString).lastPathComponent
        let packaging: InputFile.Packaging
        let innerName: String
        let detected: InputFormat?
        switch InputName(name) {
        case .compressed(let inner, let innerFormat):
            (packaging, innerName, detected) = (.compressed, inner, innerFormat)
        case .plain(let plainFormat):
            (packaging, innerName, detected) = (.plain, name, plainFormat)
        case .workbook:
            (packaging, innerName, detected) = (.plain, name, .xlsx)
        case .excel97:
            throw ExtractError.unsupportedFormat(
                file: path, reason: "old binary Excel files (.xls) are not read: save or export the sheet as .xlsx or .csv")
        case .archive, .other:
            (packaging, innerName, detected) = (.plain, name, nil)
        }
        guard let format = format ?? detected else {
            throw ExtractError.unknownKind(
                file: path,
                reason: "cannot tell the format from the name: name it .csv or .xml (optionally .gz, .bz2 or .xz), "
                    + "or pack such files in a .zip or .tar(.gz), or give --format")
        }
        guard format == .csv else { return InputFile(path: path, format: .xml, entity: nil, packaging: packaging) }
        if let entity = mapping?.entity(forFile: innerName) ?? nativeEntity(ofName: innerName) {
            return InputFile(path: path, format: .csv, entity: entity, packaging: packaging)
        }
        throw ExtractError.unknownKind(
            file: path,
            reason: "cannot tell which records this CSV file holds: name it "
                + Entity.allCases.map { "\($0.name)*.csv" }.joined(separator: ", ")
                + ", or give a mapping whose files: pattern matches it")
    }

    private static func nativeEntity(ofName name: String) -> Entity? {
        let lowercased = name.lowercased()
        return Entity.allCases.first { lowercased.hasPrefix($0.name) }
    }
}
