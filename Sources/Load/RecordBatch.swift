import Extract
import Foundation
import PipelineCore
import Validate

/// Consecutive records of one file, validated together on a worker thread.
struct RecordBatch: Sendable {
    /// Records per batch: large enough to outweigh handing it over, small enough to keep memory flat.
    static let size = 2_000

    let fileIndex: Int
    /// The staging sequence number of the first record (the rest follow in order).
    let firstSequence: Int64
    var records: [SourceRecord] = []

    /// What a worker made of a batch, in the records' order.
    struct Validated: Sendable {
        /// The valid rows, as binary COPY data per entity (``StagingArea/columns(_:)``: `seq, file, line, values…, ids…`).
        var rows: [Entity: CopyBinaryWriter] = [:]
        /// The hash of each valid row's key, per entity (``StagedKeys``).
        var keyHashes: [Entity: [UInt64]] = [:]
        /// The rejects, each with the normalized email of a rejected user (their children are rejected later).
        var rejects: [(reject: Reject, rejectedUser: String?)] = []
        /// Records read per entity.
        var read: [Entity: Int] = [:]
        /// Addresses left out of email cells that held several.
        var extraAddresses = 0
    }

    /// Validates every record with a validator of its own (date parsers are not shared between threads).
    func validated(mapping: Mapping?, creditPolicy: RecordValidator.CreditPolicy, now: Date) -> Validated {
        var validator = RecordValidator(mapping: mapping, creditPolicy: creditPolicy, now: now)
        var ids = RandomUUIDs()
        var result = Validated()
        // A run of records of one entity at a time (a CSV batch is one run; an XML file's sections are runs too):
        // what depends on the entity is looked up once a run, not once a row. The records are read through a pointer,
        // and a run's end is found by the entity alone (`firstIndex`'s closure copied every record it looked at).
        records.withUnsafeBufferPointer { buffer in
            guard let records = buffer.baseAddress else { return }
            var start = 0
            while start < buffer.count {
                let entity = records[start].entity
                var end = start + 1
                while end < buffer.count && records[end].entity == entity { end += 1 }
                validate(records, start..<end, of: entity, with: &validator, ids: &ids, into: &result)
                start = end
            }
        }
        result.extraAddresses = validator.extraAddresses
        return result
    }

    /// Validates and stages `records[range]`, all of `entity`.
    private func validate(
        _ records: UnsafePointer<SourceRecord>, _ range: Range<Int>, of entity: Entity, with validator: inout RecordValidator,
        ids: inout RandomUUIDs, into result: inout Validated
    ) {
        let layout = StagingRowLayout(entity)
        var rows = CopyBinaryWriter()
        var keyHashes: [UInt64] = []
        keyHashes.reserveCapacity(range.count)
        for offset in range {
            switch validator.validate(records[offset]) {
            case .success(let valid):
                layout.stage(valid, sequence: firstSequence + Int64(offset), file: fileIndex, ids: &ids, into: &rows)
                keyHashes.append(StagedKeys.hash(of: valid))
            case .failure(let reject):
                // (An email with a NUL byte cannot be staged, and no row can name it either.)
                var email: String?
                if entity == .users, let normalized = records[offset][.email].map(EmailAddress.normalize), !normalized.isEmpty,
                   !normalized.utf8.contains(0) {
                    email = normalized
                }
                result.rejects.append((reject, email))
            }
        }
        result.read[entity, default: 0] += range.count
        if !keyHashes.isEmpty {
            result.rows[entity, default: CopyBinaryWriter()].append(rows)
            result.keyHashes[entity, default: []].append(contentsOf: keyHashes)
        }
    }
}

/// How one entity's validated records become staging rows (``StagingArea/columns(_:)``): `seq, file, line`, each
/// value in its column's type, then the ids the entity's rows carry. Made once per run of records, not per row.
private struct StagingRowLayout {
    let types: [StagingArea.FieldType]
    /// Per id column, whether its key is time-ordered (``StagingArea/isTimeOrdered(_:)``) rather than random.
    let timeOrderedIDs: [Bool]

    init(_ entity: Entity) {
        types = entity.loadedFields.map(StagingArea.type(of:))
        timeOrderedIDs = StagingArea.chosenIDs(entity).map(StagingArea.isTimeOrdered)
    }

    func stage(_ record: ValidatedRecord, sequence: Int64, file: Int, ids: inout RandomUUIDs, into rows: inout CopyBinaryWriter) {
        rows.startRow(fields: 3 + types.count + timeOrderedIDs.count)
        rows.appendField(sequence)
        rows.appendField(Int32(file))
        rows.appendField(Int32(record.location.line))
        for (type, value) in zip(types, record.values) { rows.appendField(value, as: type) }
        for timeOrdered in timeOrderedIDs { rows.appendField(uuid: timeOrdered ? ids.nextTimeOrdered() : ids.next()) }
    }
}
