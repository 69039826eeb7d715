/// The kinds of record a CRM export holds: the five the app stores, and the erasure requests an operator
/// hands the pipeline (issue 25).
public enum Entity: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case users
    case jobRequests = "job_requests"
    case recordings
    case resumes
    case payments
    /// People to erase (GDPR art. 17, CCPA): removed from every table, recorded without their data.
    case erasures

    /// The records the app stores, in load order (users first: the others name them).
    public static let crmRecords: [Entity] = [.users, .jobRequests, .recordings, .resumes, .payments]

    /// The name used in file names, mappings, reject files and reports (`job_requests`).
    public var name: String { rawValue }

    public var description: String { rawValue }

    /// The fields of this entity, in the order of the native CSV columns.
    public var fields: [Field] {
        switch self {
        case .users:
            [.email, .userID, .crmUserID, .firstName, .lastName, .phone, .createdAt, .updatedAt, .deleted, .mergedInto]
        case .jobRequests:
            [.email, .userID, .externalID, .jobTitle, .companyName, .status, .createdAt, .updatedAt]
        case .recordings:
            [.email, .userID, .externalID, .jobRequestExternalID, .videoURL, .durationSeconds, .creditCharged, .createdAt]
        case .resumes:
            [.email, .userID, .externalID, .fileURL, .fileName, .createdAt]
        case .payments:
            [.email, .externalID, .amountCents, .currency, .paidAt]
        case .erasures:
            [.email, .requestedAt, .reference]
        }
    }

    /// The fields an import loads (``Field/isLoaded``), in the order of ``fields``.
    public var loadedFields: [Field] {
        fields.filter(\.isLoaded)
    }

    /// The fields of a record's own data: ``loadedFields`` but the ones that say what became of the record
    /// in the CRM (``Field/isLifecycle``). What `generate` writes.
    public var dataFields: [Field] {
        loadedFields.filter { !$0.isLifecycle }
    }

    /// The fields a record must have a value for (SPEC §4.2).
    public var requiredFields: [Field] {
        switch self {
        case .users: [.email]
        case .jobRequests: [.email, .jobTitle]
        case .recordings: [.email, .videoURL]
        case .resumes: [.email, .fileURL]
        case .payments: [.email, .amountCents, .paidAt]
        case .erasures: [.email]
        }
    }

    /// The fields that make two records the same one: the email for users and erasures, with the external id
    /// for the rest.
    public var keyFields: [Field] {
        self == .users || self == .erasures ? [.email] : [.email, .externalID]
    }

    /// The date that says when a record came to be (rows an erasure refuses when older than it).
    public var dateField: Field {
        switch self {
        case .payments: .paidAt
        case .erasures: .requestedAt
        default: .createdAt
        }
    }

    /// The element that holds this entity's records in a native XML export (`<jobRequests>`).
    public var xmlSection: String {
        switch self {
        case .users: "users"
        case .jobRequests: "jobRequests"
        case .recordings: "recordings"
        case .resumes: "resumes"
        case .payments: "payments"
        case .erasures: "erasures"
        }
    }

    /// The element of one record in a native XML export (`<jobRequest>`).
    public var xmlRecord: String {
        switch self {
        case .users: "user"
        case .jobRequests: "jobRequest"
        case .recordings: "recording"
        case .resumes: "resume"
        case .payments: "payment"
        case .erasures: "erasure"
        }
    }

    /// The position of `field` in ``fields``, or `nil` when this entity has no such field.
    public func index(of field: Field) -> Int? {
        fields.firstIndex(of: field)
    }

    /// The entity whose native name or XML section is `name`.
    public init?(name: String) {
        guard let entity = Entity.allCases.first(where: { $0.rawValue == name || $0.xmlSection == name }) else {
            return nil
        }
        self = entity
    }
}

/// One field of a CRM record, named as in the database (`first_name`) and in native XML (`firstName`).
public enum Field: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case email
    case userID = "user_id"
    case crmUserID = "crm_user_id"
    case firstName = "first_name"
    case lastName = "last_name"
    case phone
    case createdAt = "created_at"
    case updatedAt = "updated_at"
    case externalID = "external_id"
    case jobTitle = "job_title"
    case companyName = "company_name"
    case status
    case jobRequestExternalID = "job_request_external_id"
    case videoURL = "video_url"
    case durationSeconds = "duration_seconds"
    case creditCharged = "credit_charged"
    case fileURL = "file_url"
    case fileName = "file_name"
    case amountCents = "amount_cents"
    case currency
    case paidAt = "paid_at"
    /// Users: the CRM deleted the contact (a tombstone): the import removes the user with all its rows.
    case deleted
    /// Users: the contact was merged into another (its email, or its CRM id): the import moves its rows there.
    case mergedInto = "merged_into"
    /// Erasures: when the person asked (rows older than this are theirs to erase).
    case requestedAt = "requested_at"
    /// Erasures: the operator's reference of the request (a ticket), kept in the erasure log.
    case reference

    /// The native CSV column name, which is also the database column name.
    public var name: String { rawValue }

    public var description: String { rawValue }

    /// The element name in a native XML export: the column name in camelCase (`jobRequestExternalId`).
    public var xmlName: String {
        let parts = rawValue.split(separator: "_")
        return parts.enumerated().map { index, part in
            index == 0 ? String(part) : part.prefix(1).uppercased() + part.dropFirst()
        }.joined()
    }

    /// Whether the field holds a date or date-time.
    public var isDate: Bool { [.createdAt, .updatedAt, .paidAt, .requestedAt].contains(self) }

    /// Whether an import loads the field: every field but `user_id`, which always comes from `auth.users`.
    public var isLoaded: Bool { self != .userID }

    /// Whether the field says what became of a record in the CRM (deleted, merged) rather than holding its data.
    public var isLifecycle: Bool { [.deleted, .mergedInto].contains(self) }
}
