import Foundation

/// Every request the app made, and their figures over a window of time (before, during an import).
public struct AppTrafficLog: Sendable {
    public let requests: [AppRequest]

    /// The figures of the requests that started in `from..<to` (seconds since the traffic started).
    public func window(from: Double = 0, to: Double = .infinity) -> AppTrafficFigures {
        AppTrafficFigures(requests(from: from, to: to))
    }

    /// The requests that started in `from..<to`.
    public func requests(from: Double = 0, to: Double = .infinity) -> [AppRequest] {
        requests.filter { $0.start >= from && $0.start < to }
    }
}

/// Counts, failures by SQLSTATE and latency percentiles of some of the app's requests.
public struct AppTrafficFigures: Sendable, CustomStringConvertible {
    public let requests: Int
    /// Charged recordings the app refused because the user had no credit left (its own rule, not a failure).
    public let refusedForCredit: Int
    /// Failed requests by SQLSTATE: deadlocks, lock and statement timeouts, serialization failures, others.
    public let failures: [String: Int]
    /// Latency in seconds of every request, successful or not.
    public let p50: Double
    public let p99: Double
    public let max: Double

    /// The figures of `requests` (of one run, or of several put together).
    public init(_ requests: [AppRequest]) {
        self.requests = requests.count
        refusedForCredit = requests.filter { $0.outcome == .noCredit }.count
        var failures: [String: Int] = [:]
        for request in requests {
            if case .failed(let sqlState) = request.outcome { failures[sqlState, default: 0] += 1 }
        }
        self.failures = failures
        let latencies = requests.map(\.seconds).sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[Swift.min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        max = latencies.last ?? 0
    }

    public var failed: Int { failures.values.reduce(0, +) }

    /// `name: 40P01 × 2, 57014 × 1`, or `none`.
    public var failureSummary: String {
        failures.isEmpty ? "none" : failures.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
    }

    public var description: String {
        String(format: "%d requests, %d refused for credit, failures: %@, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
               requests, refusedForCredit, failureSummary, p50 * 1000, p99 * 1000, max * 1000)
    }
}
