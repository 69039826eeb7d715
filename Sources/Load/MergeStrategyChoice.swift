import CRMSchema
import Logging
import PipelineCore
import PostgresClient

/// Picks a run's merge strategy on its connection, before its transaction, and logs why a faster one
/// does not apply.
struct MergeStrategyChoice {
    let connection: PostgresConnection
    let logger: Logger

    /// The foreign keys checked set-based with their triggers aside where the role may set
    /// `session_replication_role` (a superuser; on Supabase, `postgres`); the FK triggers row by row
    /// elsewhere, and on Citus, whose upkeep is its own as well.
    func choose() throws -> any MergeStrategy {
        var plan = try planForKeys()
        plan.insertsInByteOrder = try collationOrdersAsBytes()
        plan.idsChosen = Set(try Entity.allCases.filter {
            try StagingArea.carriesOwnID($0) && KeyDefaults.idIsRandom(in: .table(of: $0), on: connection)
        })
        return plan
    }

    private func planForKeys() throws -> MergePlan {
        if try connection.query("SELECT \(SQLName.isDistributed)() AS distributed").scalar(Bool.self) {
            logger.info("Citus: the foreign keys are checked row by row by their triggers, the upkeep is the distributed one")
            return MergePlan(keys: .citus)
        }
        let rollupTriggersFire = try rollupInsertTriggersFire()
        // Row Level Security applies to this role: the row triggers do the upkeep (the import warns later).
        guard try Upkeep(connection: connection).isBulkLoader() else { return MergePlan(rollupTriggersFire: rollupTriggersFire) }
        guard try maySetReplicationRole() else {
            logger.notice("""
                this role may not set session_replication_role (a superuser or a role granted SET on it may): \
                the foreign keys are checked row by row by their triggers, which is slower
                """)
            return MergePlan(rollupTriggersFire: rollupTriggersFire)
        }
        return MergePlan(keys: .checkedSetBased, rollupTriggersFire: rollupTriggersFire)
    }

    /// Whether the report rollup's five insert triggers fire always and stand aside at the switch, as migrated (0026):
    /// a nightly may then let them stand aside for its plain inserts and count those rows itself. Not where they
    /// were disabled (the rollup is not kept), nor on a schema older than the switch (they would count the rows too).
    private func rollupInsertTriggersFire() throws -> Bool {
        let triggers = ReportRollup.countedTables.map { ReportRollup.trigger(on: $0, "inserts") }
        return try connection.query("""
            SELECT count(*) = \(bind: triggers.count) AS fire FROM pg_trigger
            WHERE tgrelid = ANY(\(bind: ReportRollup.countedTables.map(\.sql))::regclass[]) AND tgname = ANY(\(bind: triggers)::text[])
              AND tgenabled = 'A' AND strpos(pg_get_triggerdef(oid), \(bind: ReportRollup.switchSetting)) > 0
            """).scalar(Bool.self)
    }

    /// Whether the database's collation orders text as its bytes do (``ordersAsBytes(provider:collation:)``).
    func collationOrdersAsBytes() throws -> Bool {
        let database = try connection.query("""
            SELECT coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') AS provider, d.datcollate AS collation
            FROM pg_database d WHERE d.datname = current_database()
            """).singleRow()
        return Self.ordersAsBytes(provider: try database.decode(String.self, "provider"), collation: try database.decode(String.self, "collation"))
    }

    /// Whether a database collation orders text as its bytes do: C, POSIX, or C.UTF-8 under libc (Supabase's; glibc 2.35
    /// and later order it by code point, which is the bytes' order; an older one may put unassigned code points last,
    /// which costs the inserts' index order, never a result). PostgreSQL 15 sorts in byte order faster only when told
    /// `COLLATE "C"`; PostgreSQL 17's builtin provider needs no telling.
    static func ordersAsBytes(provider: String, collation: String) -> Bool {
        provider == "c" && (["C", "POSIX"].contains(collation) || ["c.utf-8", "c.utf8"].contains(collation.lowercased()))
    }

    /// Tries the setting for the session, outside any transaction, and resets it.
    private func maySetReplicationRole() throws -> Bool {
        do {
            try connection.query("SET session_replication_role = replica")
        } catch let error as PostgresError where error.sqlState == .insufficientPrivilege {
            return false
        }
        try connection.query("RESET session_replication_role")
        return true
    }
}
