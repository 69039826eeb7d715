import PostgresClient

/// The credit rule in SQL: calls of migration 0021's functions, which the planner folds into constants.
/// No statement spells the numbers (``PipelineCore/CreditRule`` holds them for Swift).
public enum CreditSQL {
    /// The credits a new account opens with.
    public static let opening: SQLQuery = "\(SQLName.openingCredits)()"
    /// The credits one payment adds.
    public static let perPayment: SQLQuery = "\(SQLName.creditsPerPayment)()"
    /// The credits one charged recording takes.
    public static let perRecording: SQLQuery = "\(SQLName.creditsPerRecording)()"

    /// The credits `payments` (an SQL expression) bought.
    public static func bought(_ payments: SQLQuery) -> SQLQuery {
        "\(perPayment) * \(payments)"
    }

    /// The credits `charged` charged recordings (an SQL expression) used.
    public static func used(_ charged: SQLQuery) -> SQLQuery {
        "\(perRecording) * \(charged)"
    }

    /// What `payments` and `charged` recordings move a balance by.
    public static func movement(payments: SQLQuery, charged: SQLQuery) -> SQLQuery {
        "(\(bought(payments)) - \(used(charged)))"
    }

    /// The balance of a new account after `payments` payments and `charged` charged recordings.
    public static func balance(payments: SQLQuery, charged: SQLQuery) -> SQLQuery {
        "(\(opening) + \(bought(payments)) - \(used(charged)))"
    }
}
