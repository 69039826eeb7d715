@testable import Load
import PipelineCore
import Testing

@Suite("LoadTally: what the stages did, added up")
struct LoadTallyTests {
    @Test("tallies add per entity and per reason, and the summary reads their sum")
    func sums() {
        var read = LoadTally()
        read.counts[.users, default: EntityCounts()].read = 10
        read.counts[.recordings, default: EntityCounts()].read = 5
        var checks = LoadTally()
        checks.count(Reject(location: SourceLocation(file: "r.csv", line: 3), entity: .recordings, field: .email, value: "x",
                            reason: .unknownUser, message: "no user"))
        checks.count(Reject(location: SourceLocation(file: "r.csv", line: 4), entity: .recordings, field: .email, value: "y",
                            reason: .unknownUser, message: "no user"))
        var merged = LoadTally()
        merged.counts[.users, default: EntityCounts()].inserted = 9
        merged.mergedRows = ["users: a.csv:2 merged into a.csv:5"]

        let total = LoadTally.sum([read, checks, merged])
        #expect(total.totalRead == 15)
        #expect(total.totalRejected == 2)
        #expect(total.rejectsByReason == ["unknown_user": 2])
        #expect(total.counts[.users]?.inserted == 9)
        #expect(total.counts[.recordings]?.rejected == 2)
        #expect(total.mergedRows.count == 1)

        var summary = ImportSummary()
        summary.tally = total
        #expect(summary.totalRead == 15 && summary.totalRejected == 2 && summary.counts == total.counts)
    }
}
