import Foundation
import Glibc

/// Random (version 4) UUIDs made on the client, for the keys of the rows an import inserts where the table's
/// own default is a random UUID too (``KeyDefaults``). PostgreSQL's `gen_random_uuid()` asks OpenSSL for 16 bytes
/// per row, which costs OpenSSL 3 about 1.5–2.5 µs a row: 0.9 s of 350k recordings' insert, about 2 s of a
/// nightly's serial part in all. Here one request to the kernel's generator (`arc4random_buf`: glibc's is
/// `getrandom(2)`) fills a batch's worth, 40 ns a key, on the workers that format the rows.
struct RandomUUIDs {
    /// Keys fetched per request.
    private static let perRefill = 2_048

    private var bytes = [UInt8](repeating: 0, count: 16 * perRefill)
    private var used = perRefill

    /// The next UUID as two words (the first eight bytes, the last eight), the version and variant bits set.
    mutating func next() -> (high: UInt64, low: UInt64) {
        if used == Self.perRefill {
            bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            used = 0
        }
        let (high, low) = bytes.withUnsafeBytes {
            ($0.loadUnaligned(fromByteOffset: 16 * used, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 16 * used + 8, as: UInt64.self))
        }
        used += 1
        // Version 4 in the high nibble of the 7th byte, variant 10 in the top bits of the 9th (RFC 9562).
        return ((high & ~0xF000) | 0x4000, (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    }

    /// The next UUID of version 7: the milliseconds since 1970 in its first 48 bits, the rest random, so that keys made
    /// in different milliseconds sort in the order made (within one, at random).
    mutating func nextTimeOrdered(at now: Date = Date()) -> (high: UInt64, low: UInt64) {
        let random = next()
        let millis = UInt64(max(now.timeIntervalSince1970 * 1000, 0).rounded(.down))
        return ((millis << 16) | 0x7000 | (random.high & 0x0FFF), random.low)
    }
}
