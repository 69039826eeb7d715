import PostgresClient
import TestSupport
import Testing

@Suite("References between CRM tables")
struct ReferenceTests {
    @Test("a recording can only point at a job request of its own user")
    func ownJobRequestOnly() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("sam@example.com")
            try fixture.crmUser("tia@example.com")
            let samsJob = try fixture.jobRequest("sam@example.com", externalID: "J1")
            expectSQLState(.foreignKeyViolation) { try fixture.recording("tia@example.com", jobRequestID: samsJob) }
            try fixture.recording("sam@example.com", jobRequestID: samsJob)
            #expect(try fixture.invariantViolations().isEmpty)
        }
    }

    @Test("external ids are unique per user, not globally")
    func externalIDsPerUser() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("uma@example.com")
            try fixture.crmUser("vic@example.com")
            try fixture.jobRequest("uma@example.com", externalID: "J-1")
            try fixture.jobRequest("vic@example.com", externalID: "J-1")
            expectSQLState(.uniqueViolation) { try fixture.jobRequest("uma@example.com", externalID: "J-1") }
        }
    }

    @Test("deleting a job request keeps its recordings and clears their link")
    func deletingJobRequestKeepsRecordings() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            try fixture.crmUser("wes@example.com")
            let job = try fixture.jobRequest("wes@example.com")
            try fixture.recording("wes@example.com", jobRequestID: job)
            try fixture.connection.query("DELETE FROM crm_job_requests WHERE id = $1", [job])
            #expect(try fixture.connection.query(
                "SELECT job_request_id IS NULL FROM crm_recordings WHERE email = 'wes@example.com'").scalar(Bool.self))
            #expect(try fixture.stats("wes@example.com") == ["0", "1", "0"])
        }
    }

    @Test("a child row needs its CRM user")
    func orphansRefused() throws {
        try TestDatabase.withFresh { database in
            let fixture = Fixture(connection: try database.connect())
            expectSQLState(.foreignKeyViolation) { try fixture.jobRequest("nobody@example.com") }
            expectSQLState(.foreignKeyViolation) { try fixture.payment("nobody@example.com") }
        }
    }
}
