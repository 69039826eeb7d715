import PipelineCore
import PostgresClient
import Testing

@Suite("Connecting")
struct ConnectTests {
    static let password = "s3cr3t-Pa55%word"

    @Test("an unreachable server is a connection error naming host, port and database, never the password",
          arguments: [
            "postgresql://loader:s3cr3t-Pa55%25word@127.0.0.1:1/crm_prod",
            "host=/nonexistent/socket/dir port=5999 dbname=crm_prod user=loader password='s3cr3t-Pa55%word'",
          ])
    func unreachableServer(url: String) throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConnection(url: url) }
        #expect(error.code == .connectionFailed)
        #expect(error.exitStatus == .unavailable)
        #expect(error.description.contains("crm_prod"))
        #expect(error.description.contains("127.0.0.1") || error.description.contains("/nonexistent/socket/dir"))
        #expect(!error.debugDescription.contains("s3cr3t"))
        #expect(!error.debugDescription.contains("Pa55"))
    }

    @Test("a malformed connection string is rejected before connecting, without echoing it")
    func malformedConnectionString() throws {
        let error = try #require(throws: PostgresError.self) {
            try ConnectionString("postgresql://u:\(Self.password)@host/db?bogus_option=1")
        }
        #expect(error.code == .invalidConnectionString)
        #expect(error.exitStatus == .usage)
        #expect(!error.description.contains("s3cr3t"))
    }

    @Test("values libpq checks only when connecting are checked before: a port that is no number, an unknown sslmode",
          arguments: ["postgresql://bob:s3cr3t@@host:abc/db", "postgresql://bob:s3cr3t@host:70000/db",
                      "host=h port=5432,x user=bob password=s3cr3t", "postgresql://bob:s3cr3t@host/db?sslmode=requir",
                      "postgresql://bob:s3cr3t@host/db?connect_timeout=soon"])
    func malformedValues(text: String) throws {
        let error = try #require(throws: PostgresError.self) { try ConnectionString(text) }
        #expect(error.code == .invalidConnectionString)
        #expect(error.exitStatus == .usage)
        #expect(!error.description.contains("s3cr3t"))
        #expect(error.description.contains("malformed"), "\(error)")
    }

    @Test("several hosts with their ports, and an empty port for the default, are fine")
    func wellFormedValues() throws {
        #expect(try ConnectionString("host=a,b port=5432,6432 sslmode=verify-full").settings["port"] == "5432,6432")
        #expect(try ConnectionString("host=a,b port=,5433").settings["host"] == "a,b")
    }

    @Test("a connection string can be pointed at another database and still connect")
    func connectionStringRewrite() throws {
        let admin = try ConnectionString(try TestDatabaseURL.admin())
        let other = admin.with(database: "postgres")
        #expect(other.settings["dbname"] == "postgres")
        let connection = try PostgresConnection(url: other.text)
        #expect(try connection.query("SELECT current_database()").scalar(String.self) == "postgres")
        #expect(connection.target.contains("database=postgres"))
    }
}
