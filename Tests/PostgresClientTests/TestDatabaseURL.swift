import TestSupport

enum TestDatabaseURL {
    static func admin() throws -> String { try TestDatabase.adminURL() }
}
