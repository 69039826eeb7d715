import Foundation
import PipelineCore

/// How to read a foreign export (HubSpot, Salesforce, …): per entity, which files, which columns or XML
/// elements hold our fields, date formats, constants and the XML record element. Entities it does not
/// name keep the native columns.
public struct Mapping: Sendable {
    /// The mapping of one entity.
    public struct EntityMapping: Sendable {
        /// Globs on the file name (`*contacts*.csv`) that mark files of this entity; empty: no file is marked,
        /// and the mapping applies to every file of the entity.
        public var files: [String] = []

        /// Whether a file named `name` (no folder) is one of this entity's files.
        public func matches(fileName name: String) -> Bool {
            files.contains { fnmatch($0, name, 0) == 0 }
        }
        /// Our field → the file's columns (CSV, XLSX), elements or `@attributes` (XML), in order: a record's value
        /// is the first non-empty one (Pipedrive's `Person - Email - Work`, then `- Home`, then `- Other`).
        public var columns: [Field: [String]] = [:]
        /// Our date field → its Unicode date patterns (`yyyy-MM-dd HH:mm`), tried in order.
        public var dateFormats: [Field: [String]] = [:]
        /// The time zone of dates without an offset.
        public var timeZone = TimeZone(identifier: "UTC")!
        /// Our field → a value given to every record.
        public var constants: [Field: String] = [:]
        /// XML only: the local name of the record element.
        public var record: String?
        /// XLSX only: the name of the sheet that holds this entity's records.
        public var sheet: String?
        /// Where each `columns` entry is written, for messages.
        public var columnLocations: [Field: SourceLocation] = [:]

        public init() {}

        /// The names of the columns or elements that hold `field`, in order: the mapped ones, else the native one.
        public func sourceNames(of field: Field, xml: Bool) -> [String] {
            columns[field] ?? [xml ? field.xmlName : field.name]
        }

        /// How a message names them: `"A"`, or `"A" or "B"`.
        public func sourceName(of field: Field, xml: Bool) -> String {
            sourceNames(of: field, xml: xml).joined(separator: "\" or \"")
        }
    }

    /// The mapping file, as given.
    public let path: String
    /// The entities it names.
    public var entities: [Entity: EntityMapping]

    public init(path: String, entities: [Entity: EntityMapping]) {
        self.path = path
        self.entities = entities
    }

    /// The mapping as it applies to the file at `path`: an entity whose `files` glob does not match the
    /// file's name keeps the native columns there (a drop folder may hold native and foreign files).
    public func applying(to path: String) -> Mapping {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return Mapping(path: self.path, entities: entities.filter { _, mapping in
            mapping.files.isEmpty || mapping.matches(fileName: name)
        })
    }

    /// The entity whose `files` glob matches the file name of `path`, if any.
    public func entity(forFile path: String) -> Entity? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return Entity.allCases.first { entities[$0]?.matches(fileName: name) == true }
    }
}
