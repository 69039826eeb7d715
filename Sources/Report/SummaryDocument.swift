import Foundation
import PostgresClient

/// The summary statement's JSON document (`figures`, `months`, `top`), decoded into report values.
struct SummaryDocument: Decodable {
    /// One value of the document: JSON's null, string, number or boolean.
    enum Cell: Decodable {
        case null, text(String), integer(Int64), decimal(Double), flag(Bool)

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() { self = .null }
            else if let flag = try? value.decode(Bool.self) { self = .flag(flag) }
            else if let integer = try? value.decode(Int64.self) { self = .integer(integer) }
            else if let decimal = try? value.decode(Double.self) { self = .decimal(decimal) }
            else { self = .text(try value.decode(String.self)) }
        }
    }

    private let figures: [String: Int64]
    private let months: [[String: Cell]]
    private let top: [[String: Cell]]

    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the document lacks a part or is not JSON.
    static func decode(_ json: String) throws -> SummaryDocument {
        do {
            return try JSONDecoder().decode(SummaryDocument.self, from: Data(json.utf8))
        } catch {
            throw unexpected("is not an object with figures, months and top (\(error))")
        }
    }

    /// The figure `key` (an integer).
    ///
    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the document has no such number.
    func figure(_ key: String) throws -> Int64 {
        guard let number = figures[key] else { throw Self.unexpected("has no figure \(key)") }
        return number
    }

    fileprivate static func unexpected(_ what: String) -> PostgresError {
        PostgresError(code: .unexpectedResult, message: "the summary statement's document \(what)")
    }

    /// The month series, one row per month, as `columns`.
    func months(_ columns: [ReportColumn]) throws -> [[ReportValue]] { try months.map { row in try columns.map { try $0.value(in: row) } } }

    /// The top users, as `columns`.
    func top(_ columns: [ReportColumn]) throws -> [[ReportValue]] { try top.map { row in try columns.map { try $0.value(in: row) } } }
}

extension ReportColumn {
    /// This column's value in a row of the document, read by the column's key; null is an empty cell.
    ///
    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the key is absent or holds another type, as
    ///   `Row.decode` does for a column.
    func value(in object: [String: SummaryDocument.Cell]) throws -> ReportValue {
        switch (kind, object[key]) {
        case (_, .null): return .empty
        case (.text, .text(let text)): return .text(text)
        case (.integer, .integer(let number)): return .integer(number)
        case (.decimal, .decimal(let number)): return .decimal(number)
        case (.decimal, .integer(let number)): return .decimal(Double(number))
        case (.flag, .flag(let flag)): return .flag(flag)
        default: throw SummaryDocument.unexpected("has no \(kind) value \(key)")
        }
    }
}
