import Foundation
@testable import Load
import PostgresClient
import TestSupport
import Testing
import Validate

@Suite("CopyBinaryWriter and RandomUUIDs: the staging's binary COPY and the client's keys")
struct CopyBinaryWriterTests {
    @Test("a row is its field count, then each field's length and bytes in network order; NULL is length -1")
    func layout() {
        var writer = CopyBinaryWriter()
        writer.startRow(fields: 5)
        writer.appendField(Int64(-2))
        writer.appendField(Int32(7))
        writer.appendField("é", as: .text)
        writer.appendField(nil, as: .text)
        writer.appendField(uuid: (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210))
        #expect(writer.rows == 1)
        #expect(writer.bytes == [0, 5, 0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254, 0, 0, 0, 4, 0, 0, 0, 7,
                                 0, 0, 0, 2, 0xC3, 0xA9, 255, 255, 255, 255,
                                 0, 0, 0, 16, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10])
        #expect(CopyBinaryWriter.header.count == 19 && CopyBinaryWriter.trailer == [0xFF, 0xFF])
    }

    @Test("the client's random keys are version 4, variant 1, and distinct over several refills; time-ordered ones carry the milliseconds")
    func randomKeys() {
        var ids = RandomUUIDs()
        var seen = Set<String>()
        for _ in 0..<5_000 {
            let key = ids.next()
            let hex = String(format: "%016llx%016llx", key.high, key.low)
            seen.insert(hex)
            #expect(Array(hex)[12] == "4" && "89ab".contains(Array(hex)[16]), "\(hex)")
        }
        #expect(seen.count == 5_000)
        let now = Date(timeIntervalSince1970: 1_700_000_000.123)
        let ordered = ids.nextTimeOrdered(at: now)
        #expect(ordered.high >> 16 == 1_700_000_000_123 && (ordered.high >> 12) & 0xF == 7 && ordered.low >> 62 == 2)
    }

    @Test("what the server stores from the binary rows reads back as the validated text it was made from")
    func roundTrip() throws {
        try TestDatabase.withFresh { database in
            let connection = try database.connect()
            try connection.query("CREATE TEMP TABLE staged (t text, at timestamptz, n integer, big bigint, yes boolean, id uuid)")
            let instants = [Instant(microseconds: 0), Instant(microseconds: 1_714_641_240_123_456), Instant(microseconds: -2_208_988_800_000_001)]
            let rows: [[String?]] = [
                ["tab\there, back\\slash, new\nline, 日本", instants[0].description, "0", "1", "t"],
                ["", instants[1].description, "2147483647", "9223372036854775807", "f"],
                [nil, instants[2].description, nil, nil, nil],
            ]
            var writer = CopyBinaryWriter()
            var ids = RandomUUIDs()
            var keys: [String] = []
            for row in rows {
                writer.startRow(fields: 6)
                for (value, type) in zip(row, [StagingArea.FieldType.text, .timestamptz, .integer, .bigint, .boolean]) {
                    writer.appendField(value, as: type)
                }
                let key = ids.next()
                writer.appendField(uuid: key)
                let hex = String(format: "%016llx%016llx", key.high, key.low)
                keys.append([hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
                    .joined(separator: "-"))
            }
            _ = try connection.copyIn("COPY staged FROM STDIN (FORMAT binary)") { copy in
                for part in [CopyBinaryWriter.header, writer.bytes, CopyBinaryWriter.trailer] { try part.withUnsafeBytes { try copy.write($0) } }
            }
            try connection.query("SET TIME ZONE 'UTC'")
            let stored = try connection.query("""
                SELECT t, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS at, n::text AS n, big::text AS big,
                       CASE yes WHEN true THEN 't' WHEN false THEN 'f' END AS yes, id::text AS id
                FROM staged ORDER BY id = \(bind: keys[0]) DESC, id = \(bind: keys[1]) DESC
                """).rows.map { row -> [String?] in
                    try ["t", "at", "n", "big", "yes", "id"].map { try row.decode(String?.self, $0) }
                }
            #expect(stored == zip(rows, keys).map { $0 + [$1] })
        }
    }
}
