import Foundation
import PostgresClient

/// The summary statement's JSON document, read into report values.
struct SummaryDocument {
    private let figureObject: [String: Any]
    private let monthObjects: [[String: Any]]
    private let topObjects: [[String: Any]]

    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the document lacks a part or a figure.
    init(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let figures = object["figures"] as? [String: Any], let months = object["months"] as? [[String: Any]],
            let top = object["top"] as? [[String: Any]]
        else { throw Self.unexpected("is not an object with figures, months and top") }
        figureObject = figures
        monthObjects = months
        topObjects = top
    }

    /// The figure `key` (an integer).
    ///
    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the document has no such number.
    func figure(_ key: String) throws -> Int64 {
        guard let number = figureObject[key] as? NSNumber else { throw Self.unexpected("has no figure \(key)") }
        return number.int64Value
    }

    private static func unexpected(_ what: String) -> PostgresError {
        PostgresError(code: .unexpectedResult, message: "the summary statement's document \(what)")
    }

    /// The month series, one row per month, as `columns`.
    func months(_ columns: [ReportColumn]) throws -> [[ReportValue]] { try monthObjects.map { row in try columns.map { try $0.value(in: row) } } }

    /// The top users, as `columns`.
    func top(_ columns: [ReportColumn]) throws -> [[ReportValue]] { try topObjects.map { row in try columns.map { try $0.value(in: row) } } }
}

extension ReportColumn {
    /// This column's value in a JSON object, read by the column's key; null is an empty cell.
    ///
    /// - Throws: ``PostgresError`` (`unexpectedResult`) when the key is absent or holds another type, as
    ///   `Row.decode` does for a column.
    func value(in object: [String: Any]) throws -> ReportValue {
        switch (kind, object[key]) {
        case (_, is NSNull): return .empty
        case (.text, let text as String): return .text(text)
        case (.integer, let number as NSNumber): return .integer(number.int64Value)
        case (.decimal, let number as NSNumber): return .decimal(number.doubleValue)
        case (.flag, let flag as Bool): return .flag(flag)
        default:
            throw PostgresError(code: .unexpectedResult, message: "the summary statement's document has no \(kind) value \(key)")
        }
    }
}
