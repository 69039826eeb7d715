import Dispatch
import PipelineCore
import Synchronization
import Validate

/// What the client can tell, while it stages, of whether two staged rows of an entity share a key
/// (``StagingArea/key(_:)``): a 64-bit hash of each staged row's key, 8 bytes a row up to ``limit`` rows in all.
/// No hash seen twice proves that no key repeats, and ``Deduplication`` then skips its pass over the staging
/// (0.64 s of a 979k-row nightly's serial part, on the server's one busy core). A hash seen twice (a repeat, or
/// a collision: about one chance in 4×10^7 at a million rows of an entity) or more rows than the limit leave the
/// question to that pass, as before.
struct StagedKeys: Sendable {
    /// Rows whose hashes are kept at most, over all entities; past it nothing is proven. 8 bytes a row, up to
    /// 2–3 times that at the peak while the arrays grow and the sorts copy them.
    static let limit = 2_000_000

    private var hashes: [Entity: [UInt64]] = [:]
    private var rows = 0
    private var overLimit = false

    init() {}

    /// The hash of a validated record's key: its key values as staged, each with its length, or marked absent.
    /// Rows the server sees as one key have equal bytes here (text columns, a deterministic collation, and a
    /// conversion to the server's encoding that maps distinct strings to distinct ones), so equal hashes.
    static func hash(of record: ValidatedRecord) -> UInt64 {
        var hasher = Hasher()
        for index in keyIndices[record.entity] ?? [] {
            guard var value = record.values[index] else {
                hasher.combine(UInt8(0))
                continue
            }
            hasher.combine(UInt8(1))
            hasher.combine(value.utf8.count)
            value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// Adds the key hashes of one batch's staged rows.
    mutating func add(_ batch: [Entity: [UInt64]]) {
        guard !overLimit else { return }
        rows += batch.values.reduce(0) { $0 + $1.count }
        guard rows <= Self.limit else {
            overLimit = true
            hashes = [:]
            return
        }
        for (entity, keys) in batch { hashes[entity, default: []].append(contentsOf: keys) }
    }

    /// The entities whose staged keys are all distinct for sure (an entity with no row staged among them).
    func provenDistinct() -> Set<Entity> {
        guard !overLimit else { return [] }
        let entities = Entity.allCases
        let repeats = Mutex([Bool](repeating: false, count: entities.count))
        // An entity a thread: sorting a million hashes takes about 70 ms on one core.
        DispatchQueue.concurrentPerform(iterations: entities.count) { index in
            let sorted = (hashes[entities[index]] ?? []).sorted()
            let repeated = zip(sorted, sorted.dropFirst()).contains { $0 == $1 }
            repeats.withLock { $0[index] = repeated }
        }
        let repeated = repeats.withLock { $0 }
        return Set(entities.indices.filter { !repeated[$0] }.map { entities[$0] })
    }

    private static let keyIndices: [Entity: [Int]] = Dictionary(uniqueKeysWithValues: Entity.allCases.map { entity in
        (entity, StagingArea.key(entity).map { entity.loadedFields.firstIndex(of: $0)! })
    })
}
