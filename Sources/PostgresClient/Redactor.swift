internal import CLibPQ
import Foundation

/// Removes every password this connection could know from text before it leaves the client.
///
/// libpq's own messages do not print passwords, but a hostile or odd server message could echo one;
/// this is the belt to that pair of braces.
struct Redactor {
    private let secrets: [String]

    /// - Parameters:
    ///   - password: The password the connection string carried, if any.
    ///   - connection: The connection, whose password may also come from `PGPASSWORD` or `~/.pgpass`.
    init(password: String?, connection: OpaquePointer) {
        var found: [String] = password.map { [$0] } ?? []
        if let password = PQpass(connection) { found.append(String(cString: password)) }
        if let password = ProcessInfo.processInfo.environment["PGPASSWORD"] { found.append(password) }
        let encoded = found.compactMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }
        secrets = Array(Set((found + encoded).filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    /// Returns `text` with every known password replaced by `********`.
    func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "********") }
    }
}
