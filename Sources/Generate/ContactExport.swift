import Foundation
import PipelineCore

/// A CRM's own contacts export, laid out as that CRM writes it: its column names and order, its date
/// formats, columns we do not load beside the ones we do. `crm-pipeline generate --layout …` writes one,
/// for the shipped mappings' tests and demos.
public enum ContactLayout: String, Sendable, CaseIterable {
    /// HubSpot's Contacts export (CSV), the columns of a typical view (no Last Modified Date); dates in the
    /// three styles HubSpot writes depending on the user's settings.
    case hubspot
    /// Salesforce's weekly Data Export: `Contact.csv` with API names and ISO date-times with milliseconds;
    /// with `--format xml`, the SOAP query result (`<records xsi:type="sf:Contact">`).
    case salesforce
    /// Pipedrive's persons export: "Person - …" columns, `yyyy-MM-dd HH:mm:ss`.
    case pipedrive

    /// The file name the CRM gives the export (the shipped mapping's `files:` glob matches it).
    func fileName(format: GenerateOptions.Format) -> String {
        switch (self, format) {
        case (.hubspot, .xlsx): "hubspot-contacts.xlsx"
        case (.hubspot, _): "hubspot-contacts.csv"
        case (.salesforce, .xml): "salesforce-contacts.xml"
        case (.salesforce, _): "Contact.csv"
        case (.pipedrive, .xlsx): "pipedrive-persons.xlsx"
        case (.pipedrive, _): "pipedrive-persons.csv"
        }
    }

    /// The header of the full export.
    var columns: [String] {
        switch self {
        case .hubspot:
            ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Lead Status", "Create Date",
             "Associated Company", "Country/Region", "Contact owner"]
        case .salesforce:
            ["Id", "IsDeleted", "AccountId", "LastName", "FirstName", "Salutation", "Name", "Phone", "Email", "Title",
             "LeadSource", "OwnerId", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById"]
        case .pipedrive:
            ["Person - ID", "Person - Name", "Person - First name", "Person - Last name", "Person - Label",
             "Person - Organization", "Person - Email - Work", "Person - Phone - Work", "Person - Owner",
             "Person - Person created", "Person - Update time"]
        }
    }

    /// In a workbook: the columns Excel holds as dates, and the ones it holds as numbers.
    var dateColumns: [String: KeyPath<Contact, Date>] {
        switch self {
        case .hubspot: ["Create Date": \.created]
        case .salesforce: ["CreatedDate": \.created, "LastModifiedDate": \.updated]
        case .pipedrive: ["Person - Person created": \.created, "Person - Update time": \.updated]
        }
    }

    var numberColumns: Set<String> { ["Record ID", "Person - ID"] }

    /// The sheet of a workbook export.
    var sheetName: String { self == .pipedrive ? "Persons" : "Contacts" }

    /// The one column an export needs: the email.
    var emailColumn: String {
        switch self {
        case .hubspot: "Email"
        case .salesforce: "Email"
        case .pipedrive: "Person - Email - Work"
        }
    }

    /// A contact's values, aligned with ``columns``; `row` picks among the CRM's date styles.
    func values(of contact: Contact, row: Int) -> [String] {
        switch self {
        case .hubspot:
            [String(51_000 + contact.number), contact.first, contact.last, contact.email, contact.phone,
             ["New", "Open", "In Progress", "Connected"][row % 4], hubspotDate(contact.created, style: row % 3),
             contact.company, "Spain", "Ana Owner"]
        case .salesforce:
            [contact.salesforceID("003"), "false", contact.salesforceID("001"), contact.last, contact.first, "",
             "\(contact.first) \(contact.last)", contact.phone, contact.email, contact.title, "Web",
             "005000000000001AAA", Self.format(contact.created, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"), "005000000000001AAA",
             Self.format(contact.updated, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"), "005000000000001AAA"]
        case .pipedrive:
            [String(contact.number + 1), "\(contact.first) \(contact.last)", contact.first, contact.last, "Warm lead",
             contact.company, contact.email, contact.phone, "Ana Owner",
             Self.format(contact.created, "yyyy-MM-dd HH:mm:ss"), Self.format(contact.updated, "yyyy-MM-dd HH:mm:ss")]
        }
    }

    /// HubSpot's three styles: minutes, seconds, US-style with AM/PM.
    private func hubspotDate(_ date: Date, style: Int) -> String {
        Self.format(date, ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "M/d/yyyy h:mm a"][style])
    }

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

/// One generated contact.
struct Contact {
    let number: Int
    let email: String
    let first: String
    let last: String
    let phone: String
    let company: String
    let title: String
    /// Whole seconds (a CRM's dates carry no fractions).
    let created: Date
    let updated: Date

    /// An 18-character Salesforce id with the object's key prefix (`003` for contacts).
    func salesforceID(_ prefix: String) -> String {
        prefix + String(format: "%012d", number) + "AAA"
    }
}
