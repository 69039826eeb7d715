/// The app's credit rule: what an account opens with, what a payment adds, what a charged recording takes.
///
/// SQL has the same numbers once too, in migration 0021 (`crm_private.crm_opening_credits()` and its two
/// siblings), which every statement calls through CRMSchema's `CreditSQL`; a test holds the two equal.
public enum CreditRule {
    /// The credits a new account opens with.
    public static let openingCredits = 4
    /// The credits one payment adds.
    public static let creditsPerPayment = 3
    /// The credits one charged recording takes.
    public static let creditsPerRecording = 1

    /// The balance of an account that made `payments` payments and `chargedRecordings` charged recordings.
    public static func balance(payments: Int, chargedRecordings: Int) -> Int {
        openingCredits + creditsPerPayment * payments - creditsPerRecording * chargedRecordings
    }
}
