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
        for (offset, record) in records.enumerated() {
            result.read[record.entity, default: 0] += 1
            switch validator.validate(record) {
            case .success(let valid):
                stage(valid, sequence: firstSequence + Int64(offset), ids: &ids, into: &result.rows[valid.entity, default: CopyBinaryWriter()])
                result.keyHashes[valid.entity, default: []].append(StagedKeys.hash(of: valid))
            case .failure(let reject):
                // (An email with a NUL byte cannot be staged, and no row can name it either.)
                var email: String?
                if record.entity == .users, let normalized = record[.email].map(EmailAddress.normalize), !normalized.isEmpty,
                   !normalized.utf8.contains(0) {
                    email = normalized
                }
                result.rejects.append((reject, email))
            }
        }
        result.extraAddresses = validator.extraAddresses
        return result
    }

    /// Appends the staging row of `record`: `seq, file, line`, its values, then the ids it carries.
    private func stage(_ record: ValidatedRecord, sequence: Int64, ids: inout RandomUUIDs, into rows: inout CopyBinaryWriter) {
        let chosenIDs = StagingArea.chosenIDs(record.entity)
        rows.startRow(fields: 3 + record.values.count + chosenIDs.count)
        rows.appendField(sequence)
        rows.appendField(Int32(fileIndex))
        rows.appendField(Int32(record.location.line))
        for (field, value) in zip(record.entity.loadedFields, record.values) { rows.appendField(value, as: StagingArea.type(of: field)) }
        for column in chosenIDs {
            rows.appendField(uuid: column == "profile_id" ? ids.nextTimeOrdered() : ids.next())
        }
    }
}
