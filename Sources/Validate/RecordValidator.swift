import Extract
import Foundation
import PipelineCore

/// A record that passed every check, with its values normalized for loading.
public struct ValidatedRecord: Sendable, Equatable {
    public let entity: Entity
    public let location: SourceLocation
    /// Normalized text values aligned with `entity.loadedFields`; `nil` is no value.
    public let values: [String?]

    public subscript(field: Field) -> String? {
        entity.loadedFields.firstIndex(of: field).flatMap { values[$0] }
    }
}

/// Checks one record at a time (SPEC §4.2) and normalizes its values; the first bad field rejects it.
public struct RecordValidator {
    /// Whether charged recordings use credits (`--credits charge`) or load uncharged (`skip`).
    public enum CreditPolicy: String, Sendable, CaseIterable {
        case charge, skip
    }

    private let mapping: Mapping?
    private let creditPolicy: CreditPolicy
    /// Addresses left out of email cells that held several (`a@x.example, b@x.example`, as Pipedrive writes
    /// several values of one label): each row keeps its first valid one.
    public private(set) var extraAddresses = 0
    private let now: Instant
    /// The date parsers made so far, looked up by a scan: a handful, read for every date of every row.
    private var parsers: [(entity: Entity, field: Field, parser: DateParser)] = []

    /// - Parameters:
    ///   - mapping: Supplies date patterns and time zones per entity.
    ///   - now: Dates after this instant are rejected as `future_date`.
    public init(mapping: Mapping?, creditPolicy: CreditPolicy, now: Date = Date()) {
        self.mapping = mapping
        self.creditPolicy = creditPolicy
        self.now = Instant(now)
    }

    /// The validated record, or the reason it cannot be loaded.
    public mutating func validate(_ record: SourceRecord) -> Result<ValidatedRecord, Reject> {
        let entity = record.entity, location = record.location
        func reject(_ field: Field?, _ value: String?, _ reason: RejectReason, _ message: String) -> Result<ValidatedRecord, Reject> {
            .failure(Reject(location: location, entity: entity, field: field, value: value, reason: reason, message: message))
        }
        switch record.problem {
        case .wrongFieldCount(let expected, let found)?:
            return reject(nil, nil, .malformedRow, "the row has \(found) fields, the header \(expected)")
        case .tooLarge(let what)?:
            return reject(nil, nil, .tooLarge, what)
        case .textAfterClosingQuote(let field)?:
            return reject(nil, nil, .malformedRow, "field \(field) has text after its closing quote")
        case .nulByte(let field, let offset)?:
            return reject(field, record[field], .invalidByte,
                          "\(field) holds a NUL byte (0x00) at byte offset \(offset) of its value, which PostgreSQL cannot"
                              + " store in text: remove it from the export")
        case nil:
            break
        }
        // The loaded fields, each read by its position in the record rather than looked up by name.
        let fields = entity.fields, raws = record.values
        var values: [String?] = []
        values.reserveCapacity(fields.count)
        for (position, field) in fields.enumerated() where field.isLoaded {
            let raw = raws[position].map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
            guard let raw else {
                if entity.requiredFields.contains(field) {
                    return reject(field, nil, .missingRequired, "\(field) is required for \(entity)")
                }
                values.append(defaultValue(of: field, in: record))
                continue
            }
            switch normalize(raw, field: field, entity: entity) {
            case .success(let value): values.append(value)
            case .failure(let failure): return reject(field, raw, failure.reason, failure.message)
            }
        }
        return .success(ValidatedRecord(entity: entity, location: location, values: values))
    }

    private struct FieldFailure: Error {
        let reason: RejectReason
        let message: String
    }

    private mutating func normalize(_ raw: String, field: Field, entity: Entity) -> Result<String, FieldFailure> {
        switch field {
        case .email:
            let email = EmailAddress.normalize(raw)
            if EmailAddress.isValid(email) { return .success(email) }
            // A cell of several addresses: the first valid one.
            let addresses = raw.split(whereSeparator: { $0 == "," || $0 == ";" }).map { EmailAddress.normalize(String($0)) }
            guard addresses.count > 1, let first = addresses.first(where: EmailAddress.isValid) else {
                return .failure(FieldFailure(reason: .invalidEmail, message: "not a valid email address"))
            }
            extraAddresses += addresses.count - 1
            return .success(first)
        case .createdAt, .updatedAt, .paidAt, .requestedAt:
            guard let instant = parser(for: field, entity: entity).parse(raw) else {
                let patterns = mapping?.entities[entity]?.dateFormats[field] ?? []
                let expected = patterns.isEmpty
                    ? "an ISO 8601 date or date-time" : patterns.map { "\"\($0)\"" }.joined(separator: " or ")
                return .failure(FieldFailure(reason: .invalidDate, message: "not a valid date (expected \(expected))"))
            }
            guard instant <= now else {
                return .failure(FieldFailure(reason: .futureDate, message: "the date is in the future"))
            }
            return .success(instant.description)
        case .videoURL, .fileURL:
            guard Self.isAbsoluteHTTPURL(raw) else {
                return .failure(FieldFailure(reason: .invalidURL, message: "not an absolute http(s) URL with a host"))
            }
            return .success(raw)
        case .durationSeconds:
            return integer(raw, in: 0...Int64(Int32.max), what: "seconds, 0 or more")
        case .amountCents:
            return integer(raw, in: 1...Int64.max, what: "cents, more than 0")
        case .creditCharged:
            guard let charged = Self.boolean(raw) else {
                return .failure(FieldFailure(reason: .invalidNumber, message: "expected true or false"))
            }
            return .success(charged && creditPolicy == .charge ? "t" : "f")
        case .deleted:
            guard let deleted = Self.boolean(raw) else {
                return .failure(FieldFailure(reason: .invalidNumber, message: "expected true or false (1 or 0)"))
            }
            return .success(deleted ? "t" : "f")
        case .mergedInto:
            // The record merged into: its email, or its CRM id (Salesforce's MasterRecordId), resolved on load.
            guard raw.contains("@") else { return .success(raw) }
            let email = EmailAddress.normalize(raw)
            return EmailAddress.isValid(email)
                ? .success(email) : .failure(FieldFailure(reason: .invalidEmail, message: "not a valid email address (nor a CRM id)"))
        case .currency:
            let code = raw.uppercased()
            guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                return .failure(FieldFailure(reason: .outOfRange, message: "expected a 3-letter ISO 4217 currency code"))
            }
            return .success(code)
        default:
            return .success(raw)
        }
    }

    private func integer(_ raw: String, in range: ClosedRange<Int64>, what: String) -> Result<String, FieldFailure> {
        guard let value = Int64(raw) else {
            return .failure(FieldFailure(reason: .invalidNumber, message: "not a whole number (\(what))"))
        }
        guard range.contains(value) else {
            return .failure(FieldFailure(reason: .outOfRange, message: "out of range (\(what))"))
        }
        return .success(String(value))
    }

    private func defaultValue(of field: Field, in record: SourceRecord) -> String? {
        switch field {
        case .externalID where record.entity != .users:
            return Self.contentHash(of: record)
        case .creditCharged:
            return creditPolicy == .charge ? "t" : "f"
        case .currency:
            return "USD"
        default:
            return nil
        }
    }

    private mutating func parser(for field: Field, entity: Entity) -> DateParser {
        if let made = parsers.first(where: { $0.entity == entity && $0.field == field }) { return made.parser }
        let entityMapping = mapping?.entities[entity]
        let parser = DateParser(
            patterns: entityMapping?.dateFormats[field] ?? [], zone: entityMapping?.timeZone ?? TimeZone(identifier: "UTC")!)
        parsers.append((entity, field, parser))
        return parser
    }

    /// A deterministic external id for a row without one: the hash of its content, so that importing
    /// the same row again finds it instead of adding a copy.
    static func contentHash(of record: SourceRecord) -> String {
        let content = record.entity.loadedFields.filter { $0 != .externalID }.map { field -> String in
            let value = record[field].map { $0.trimmingWhitespace() } ?? ""
            return field == .email ? EmailAddress.normalize(value) : value
        }
        return "sha256:" + SHA256.hexDigest(of: Array(content.joined(separator: "\u{1F}").utf8)).prefix(32)
    }

    /// `http://` or `https://` (any case), a host of at least one character, and no space or control
    /// character anywhere: checked on the bytes in place (Foundation's URL parser was the slowest part of a row).
    static func isAbsoluteHTTPURL(_ raw: String) -> Bool {
        var raw = raw
        return raw.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }),
                let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
                Self.isHTTPScheme(UnsafeBufferPointer(rebasing: bytes[..<colon]))
            else { return false }
            let rest = bytes[(colon + 1)...]
            guard rest.starts(with: "//".utf8) else { return false }
            let authority = rest.dropFirst(2).prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
            // The host follows the last `@` (user information before it), up to a port.
            let host = authority.lastIndex(of: UInt8(ascii: "@")).map { authority[($0 + 1)...] } ?? authority
            let hostName = host.prefix { $0 != UInt8(ascii: ":") }
            return !hostName.isEmpty && (hostName.first != UInt8(ascii: "[") || hostName.count > 2)
        }
    }

    /// `http` or `https`, in any case (only ASCII letters lower-case to these).
    private static func isHTTPScheme(_ scheme: UnsafeBufferPointer<UInt8>) -> Bool {
        let lowered = scheme.lazy.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
        return lowered.elementsEqual("http".utf8) || lowered.elementsEqual("https".utf8)
    }

    static func boolean(_ raw: String) -> Bool? {
        switch raw.lowercased() {
        case "true", "t", "yes", "y", "1": true
        case "false", "f", "no", "n", "0": false
        default: nil
        }
    }
}
