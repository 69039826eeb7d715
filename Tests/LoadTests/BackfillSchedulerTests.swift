@testable import Load
import PostgresClient
import Testing
import Validate

/// BackfillScheduler on its own: the key that tells a resumable run from a new one (runs through the
/// importer are in ImporterTests and ImportTests).
@Suite("Backfill scheduler")
struct BackfillSchedulerTests {
    @Test("the key does not depend on the order of the files, and changes with every option that changes the result")
    func key() {
        let hashes = ["aa", "bb", "cc"]
        let base = ImportOptions()
        #expect(BackfillScheduler.key(hashes, options: base) == BackfillScheduler.key(hashes.reversed(), options: base))
        #expect(BackfillScheduler.key(hashes, options: base) != BackfillScheduler.key(["aa", "bb"], options: base))
        var variants: [ImportOptions] = []
        var options = base
        options.credits = .skip
        variants.append(options)
        options = base
        options.chunkRows = 10
        variants.append(options)
        options = base
        options.source = "hubspot"
        variants.append(options)
        options = base
        options.usersSnapshot = true
        variants.append(options)
        let keys = Set(([base] + variants).map { BackfillScheduler.key(hashes, options: $0) })
        #expect(keys.count == variants.count + 1)
        // What does not change the rows loaded does not change the key: jobs, the reject file, a dry run.
        options = base
        options.jobs = 2
        options.rejectFile = "/tmp/rejects.jsonl"
        #expect(BackfillScheduler.key(hashes, options: options) == BackfillScheduler.key(hashes, options: base))
    }

    @Test("bounds cut one more chunk than there are bounds, the first and last open-ended; each is a range over an email column")
    func chunks() {
        let chunks = BackfillChunk.cut(by: ["g@x.example", "p@x.example"])
        #expect(chunks.map(\.index) == [0, 1, 2])
        #expect(chunks.map(\.lower) == [nil, "g@x.example", "p@x.example"] && chunks.map(\.upper) == ["g@x.example", "p@x.example", nil])
        #expect(chunks[0].contains("t.email").rendered.sql == "t.email < $1")
        #expect(chunks[1].contains("t.email").rendered == ("(t.email >= $1 AND t.email < $2)", ["g@x.example", "p@x.example"]))
        #expect(chunks[2].contains("t.email").rendered.sql == "t.email >= $1")
        #expect(BackfillChunk.cut(by: []) == [.whole] && BackfillChunk.whole.contains("t.email").rendered.sql == "true")
    }

    @Test("the users of renames and merges are a chunk of their own, first, with the next index; every range leaves them out")
    func identityChunk() {
        let chunks = BackfillChunk.cut(by: ["g@x.example"], identities: ["a@x.example", "z@x.example"])
        #expect(chunks.map(\.index) == [2, 0, 1] && chunks.map(\.isIdentities) == [true, false, false])
        let identities = chunks[0].contains("t.email").rendered
        #expect(identities.sql == "t.email = ANY ($1::text[])")
        #expect(chunks[1].contains("t.email").rendered.sql == "(t.email < $1 AND t.email <> ALL ($2::text[]))")
        #expect(chunks[2].contains("t.email").rendered.sql == "(t.email >= $1 AND t.email <> ALL ($2::text[]))")
        #expect(BackfillChunk.cut(by: ["g@x.example"], identities: []) == BackfillChunk.cut(by: ["g@x.example"]))
    }

    @Test("chunks end at equal fractions of the rows, the last --jobs of them cut in two; one connection, no cut")
    func fractions() {
        #expect(BackfillStaging.cutFractions(chunks: 4, splittingLast: 0) == [0.25, 0.5, 0.75])
        #expect(BackfillStaging.cutFractions(chunks: 4, splittingLast: 2) == [0.25, 0.5, 0.625, 0.75, 0.875])
        #expect(BackfillStaging.cutFractions(chunks: 1, splittingLast: 0) == [])
        #expect(BackfillStaging.cutFractions(chunks: 1, splittingLast: 3) == [0.5], "more connections than chunks: the one chunk is cut in two")
        #expect(BackfillStaging.cutFractions(chunks: 2, splittingLast: 8) == [0.25, 0.5, 0.75])
    }
}
