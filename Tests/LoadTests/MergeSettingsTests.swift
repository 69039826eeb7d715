@testable import Load
import PostgresClient
import TestSupport
import Testing

@Suite("The import's session and transaction settings")
struct MergeSettingsTests {
    @Test("a new import connection takes 128 MB of temporary buffers, and its temporary tables work with them")
    func temporaryBuffers() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            #expect(try connection.query("SHOW temp_buffers").scalar(String.self) != "128MB", "the server's default before")
            try MergeSettings.prepareSession(connection)
            #expect(try connection.query("SHOW temp_buffers").scalar(String.self) == "128MB")
            try connection.query("CREATE TEMP TABLE staged AS SELECT i FROM generate_series(1, 50000) i")
            #expect(try connection.query("SELECT count(*) AS n FROM staged").scalar(Int.self) == 50000)
        }
    }

    @Test("a larger temp_buffers the session already has is kept")
    func largerTemporaryBuffersKept() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try connection.query("SET temp_buffers = '300MB'")
            try MergeSettings.prepareSession(connection)
            #expect(try connection.query("SHOW temp_buffers").scalar(String.self) == "300MB")
        }
    }

    @Test("the merges' settings last to the end of the transaction only")
    func transactionSettings() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            let before = try connection.query("SHOW work_mem").scalar(String.self)
            try connection.transaction { connection in
                try MergeSettings.apply(on: connection)
                #expect(try connection.query("SHOW jit").scalar(String.self) == "off")
                #expect(try connection.query("SHOW work_mem").scalar(String.self) == "128MB")
                return .rollback(())
            }
            #expect(try connection.query("SHOW work_mem").scalar(String.self) == before)
        }
    }
}
