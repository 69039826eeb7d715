internal import CLibPQ
import Logging

/// Where the server's notices and warnings go (libpq's notice receiver): the log, at the level that matches
/// their severity — WARNING as a warning, NOTICE as a notice, INFO as info, LOG and DEBUG as debug.
final class NoticeLog {
    private let logger: Logger
    private let redactor: Redactor

    init(logger: Logger, redactor: Redactor) {
        self.logger = logger
        self.redactor = redactor
    }

    /// The level a server message of `severity` (its non-localized form) is logged at.
    static func level(of severity: String) -> Logger.Level {
        switch severity {
        case "WARNING": .warning
        case "NOTICE": .notice
        case "INFO": .info
        default: .debug
        }
    }

    /// Logs one notice result.
    func receive(_ result: OpaquePointer) {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { redactor.redact(String(cString: $0)) }
        }
        let severity = field(CLIBPQ_DIAG_SEVERITY_NONLOCALIZED) ?? "NOTICE"
        var metadata: Logger.Metadata = [:]
        if let sqlState = field(CLIBPQ_DIAG_SQLSTATE) { metadata["sqlstate"] = "\(sqlState)" }
        if let detail = field(CLIBPQ_DIAG_MESSAGE_DETAIL) { metadata["detail"] = "\(detail)" }
        logger.log(level: Self.level(of: severity), "\(field(CLIBPQ_DIAG_MESSAGE_PRIMARY) ?? "")", metadata: metadata)
    }

    /// Makes `connection` send its notices to this log; the log must outlive the connection.
    func attach(to connection: OpaquePointer) {
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeLog>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}
