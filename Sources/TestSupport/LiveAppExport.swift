import Foundation

/// The exports of the live-app set-up (issue 24), in native CSV: a base of `users` CRM users (each a job
/// request, two charged recordings on it and a resume: 2 credits left of their 4), and a nightly delta
/// that touches the first `touched` of them (a changed name, a new job request, two charged recordings on
/// it, a payment for every other one) and adds `added` new users shaped like the base ones. A touched user
/// without a payment ends the delta with no credit left, so any credit the app spends meanwhile is one the
/// import cannot have. Emails are `app.user<N>@example.com`; the same arguments give the same bytes.
public struct LiveAppExport: Sendable {
    public let users: Int
    public let touched: Int
    public let added: Int

    public init(users: Int, touched: Int, added: Int) {
        precondition(touched <= users, "the delta touches existing users only")
        self.users = users
        self.touched = touched
        self.added = added
    }

    public static func email(_ user: Int) -> String { "app.user\(user)@example.com" }

    /// The base users' emails, in order.
    public var baseEmails: [String] { (0..<users).map(Self.email) }

    /// Writes the base export into `folder` (created).
    public func writeBase(into folder: String) throws {
        var files = Files()
        for user in 0..<users { files.add(newUser: user, tag: "base", at: "2025-03-\(String(format: "%02d", 1 + user % 28))T10:00:00Z") }
        try files.write(into: folder)
    }

    /// Writes the nightly delta into `folder` (created).
    public func writeDelta(into folder: String) throws {
        var files = Files()
        for user in 0..<touched {
            let email = Self.email(user)
            files.users.append("\(email),CRM-\(user),Renamed\(user),Lastname \(user),+1 555 \(String(format: "%07d", user)),,2025-12-01T08:00:00Z")
            files.activity(of: user, tag: "delta", at: "2025-12-01T09:00:00Z")
            if user % 2 == 0 { files.payments.append("\(email),PAY-delta-\(user),900,EUR,2025-12-01T08:30:00Z") }
        }
        for user in users..<(users + added) {
            files.add(newUser: user, tag: "new", at: "2025-12-02T10:00:00Z")
            if user % 2 == 0 { files.payments.append("\(Self.email(user)),PAY-new-\(user),900,EUR,2025-12-02T09:00:00Z") }
        }
        try files.write(into: folder)
    }

    /// The CSV lines of one export, by file.
    private struct Files {
        var users: [String] = []
        var jobRequests: [String] = []
        var recordings: [String] = []
        var resumes: [String] = []
        var payments: [String] = []

        mutating func add(newUser user: Int, tag: String, at time: String) {
            users.append("\(LiveAppExport.email(user)),CRM-\(user),First\(user),Lastname \(user),+1 555 \(String(format: "%07d", user)),\(time),\(time)")
            activity(of: user, tag: tag, at: time)
            resumes.append("\(LiveAppExport.email(user)),CV-\(tag)-\(user),https://files.example.com/cv\(user).pdf,cv.pdf,\(time)")
        }

        /// A job request and two charged recordings on it.
        mutating func activity(of user: Int, tag: String, at time: String) {
            let email = LiveAppExport.email(user)
            jobRequests.append("\(email),JR-\(tag)-\(user),Registered Nurse,Harbour Clinic,applied,\(time),\(time)")
            for take in 1...2 {
                recordings.append("\(email),REC-\(tag)-\(user)-\(take),JR-\(tag)-\(user),https://cdn.example.com/\(tag)/\(user)/\(take).mp4,90,true,\(time)")
            }
        }

        func write(into folder: String) throws {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let files: [(String, String, [String])] = [
                ("users.csv", "email,crm_user_id,first_name,last_name,phone,created_at,updated_at", users),
                ("job_requests.csv", "email,external_id,job_title,company_name,status,created_at,updated_at", jobRequests),
                ("recordings.csv", "email,external_id,job_request_external_id,video_url,duration_seconds,credit_charged,created_at", recordings),
                ("resumes.csv", "email,external_id,file_url,file_name,created_at", resumes),
                ("payments.csv", "email,external_id,amount_cents,currency,paid_at", payments),
            ]
            for (name, header, lines) in files where !lines.isEmpty {
                try ([header] + lines).joined(separator: "\n").appending("\n").write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
            }
        }
    }
}
