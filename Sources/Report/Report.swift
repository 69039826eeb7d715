import Foundation

/// One value of a report cell.
public enum ReportValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case decimal(Double)
    case flag(Bool)
    case empty

    /// The value as plain text (CSV, terminal, Markdown, HTML).
    public var text: String {
        switch self {
        case .text(let text): text
        case .integer(let number): String(number)
        case .decimal(let number): String(format: "%.2f", number)
        case .flag(let flag): flag ? "yes" : "no"
        case .empty: ""
        }
    }

    var isNumeric: Bool {
        switch self {
        case .integer, .decimal: true
        default: false
        }
    }
}

/// A column: the stable key of JSON and CSV (and of the query's output column), a title for people, and
/// the kind of value it holds.
public struct ReportColumn: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case text, integer, decimal, flag }

    public let key: String
    public let title: String
    public let kind: Kind

    public init(_ key: String, _ title: String, _ kind: Kind = .integer) {
        self.key = key
        self.title = title
        self.kind = kind
    }
}

/// A titled table inside a report.
public struct ReportSection: Sendable {
    public let key: String
    public let title: String
    public let columns: [ReportColumn]
    public var rows: [[ReportValue]]
}

extension ReportSection {
    /// The cells of the column `key`, top to bottom.
    public func cells(_ key: String) -> [ReportValue] {
        let index = columnIndex(key)
        return rows.map { $0[index] }
    }

    /// The column `key` as numbers, for a chart: an empty cell is drawn as nothing (0).
    func numbers(_ key: String) -> [Double] {
        cells(key).map {
            switch $0 {
            case .integer(let number): Double(number)
            case .decimal(let number): number
            case .text, .flag, .empty: 0
            }
        }
    }

    private func columnIndex(_ key: String) -> Int {
        guard let index = columns.firstIndex(where: { $0.key == key }) else {
            preconditionFailure("the section \(self.key) has no column \(key)")
        }
        return index
    }
}

/// A bar chart drawn in the HTML report: one bar (or group of bars) per label.
public struct ReportChart: Sendable {
    public let title: String
    public let labels: [String]
    public let series: [(name: String, values: [Double])]
    /// Formats axis values (bytes, counts).
    public let unit: Unit

    public enum Unit: Sendable { case count, bytes }
}

/// A figure for the whole report: its stable key (JSON) and a label for people (the other formats).
public struct ReportFigure: Sendable, Equatable {
    public let key: String
    public let label: String
    public let value: ReportValue

    public init(_ key: String, _ label: String, _ value: ReportValue) {
        self.key = key
        self.label = label
        self.value = value
    }
}

/// A report: its rows, its totals, further sections and charts, for one period.
public struct Report: Sendable {
    public let kind: String
    public let period: ReportPeriod
    public let generatedAt: Date
    /// Whether the report shows the state when it was made (table sizes, the latest runs) rather than a
    /// period: its heading then says "as of" that time.
    public var isSnapshot = false
    /// The main table (`rows` in JSON).
    public var main: ReportSection
    /// Figures for the whole report (`totals` in JSON), in order.
    public var totals: [ReportFigure] = []
    /// Further tables (their keys are top-level keys in JSON).
    public var sections: [ReportSection] = []
    public var charts: [ReportChart] = []

    public init(kind: String, period: ReportPeriod, generatedAt: Date, main: ReportSection) {
        self.kind = kind
        self.period = period
        self.generatedAt = generatedAt
        self.main = main
    }
}
