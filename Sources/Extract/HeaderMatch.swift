import PipelineCore

/// Which column of a table (a CSV file, a sheet) holds each field of an entity: by the mapping's column
/// names, or the native ones.
struct HeaderMatch {
    /// For each of `entity.fields`, the columns that hold it, in the mapping's order (a record's value is the first
    /// non-empty one); empty when none does.
    let columnIndexes: [[Int]]
    /// For each of `entity.fields`, the mapping's constant, if any.
    let constants: [String?]
    /// The optional fields whose mapped column the table lacks (left empty).
    let notes: [String]

    /// - Parameters:
    ///   - name: How messages name the table.
    /// - Throws: ``MappingError`` when the column mapped to a required field is not in the header (exit 64),
    ///   ``ExtractError`` `.missingColumn` when a column every record needs is missing (exit 65).
    init(header rawHeader: [String], entity: Entity, mapping: Mapping.EntityMapping?, name: String) throws {
        let header = rawHeader.map { $0.trimmingWhitespace() }
        var indexes: [[Int]] = []
        var notes: [String] = []
        for field in entity.fields {
            let found = (mapping?.sourceNames(of: field, xml: false) ?? [field.name]).compactMap { header.firstIndex(of: $0) }
            if found.isEmpty, mapping?.columns[field] != nil, mapping?.constants[field] == nil {
                let mapped = mapping?.sourceName(of: field, xml: false) ?? field.name
                guard entity.requiredFields.contains(field) else {
                    notes.append("\(name) has no column \"\(mapped)\", which the mapping names for \(field): the field is left empty")
                    indexes.append([])
                    continue
                }
                throw MappingError(
                    "the mapping names column \"\(mapped)\" for \(field), but \(name) has no such column"
                        + " (its columns: \(header.joined(separator: ", ")))",
                    at: mapping?.columnLocations[field] ?? SourceLocation(file: name, line: 1))
            }
            indexes.append(found)
        }
        let constants = entity.fields.map { mapping?.constants[$0] }
        for field in entity.requiredFields {
            let position = entity.index(of: field)!
            if indexes[position].isEmpty, constants[position] == nil {
                throw ExtractError.missingColumn(file: name, column: mapping?.sourceName(of: field, xml: false) ?? field.name, entity: entity)
            }
        }
        columnIndexes = indexes
        self.constants = constants
        self.notes = notes
    }
}
