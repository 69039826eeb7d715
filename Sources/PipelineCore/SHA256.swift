internal import CSHA256

/// A streaming SHA-256 (FIPS 180-4), used for migration checksums and for the fingerprints of input files.
///
/// Feed bytes with ``update(_:)`` as they are read, then call ``finalize()`` once.
public struct SHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var pending: [UInt8] = []
    private var byteCount: UInt64 = 0
    /// Whether blocks go through the CPU's SHA instructions (7–8× the portable code) rather than ``compress(block:)``.
    private let usesHardware: Bool

    /// Whether this CPU has SHA instructions that the hasher uses.
    static let hardwareAvailable = crm_sha256_hardware_available() != 0

    public init() {
        self.init(usingHardware: Self.hardwareAvailable)
    }

    /// A hasher that uses the CPU's SHA instructions or not (`true` only where ``hardwareAvailable``): tests compare both.
    init(usingHardware: Bool) {
        usesHardware = usingHardware && Self.hardwareAvailable
        pending.reserveCapacity(64)
    }

    /// Hashes `bytes` in one call and returns the digest as lower-case hexadecimal.
    public static func hexDigest(of bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(Array(bytes))
        return hasher.finalize()
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount &+= UInt64(bytes.count)
        var index = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            index = take
            if pending.count == 64 {
                pending.withUnsafeBytes { compress(blocks: $0) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let whole = (bytes.count - index) / 64 * 64
        if whole > 0 {
            compress(blocks: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + whole)]))
            index += whole
        }
        if index < bytes.count {
            pending.append(contentsOf: bytes[index...])
        }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Ends the message and returns its digest as 64 lower-case hexadecimal characters.
    public mutating func finalize() -> String {
        let bitLength = byteCount &* 8
        var padding: [UInt8] = [0x80]
        let afterMarker = (pending.count + 1) % 64
        padding.append(contentsOf: repeatElement(0, count: afterMarker <= 56 ? 56 - afterMarker : 120 - afterMarker))
        for shift in stride(from: 56, through: 0, by: -8) {
            padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        let savedCount = byteCount
        update(padding)
        byteCount = savedCount
        let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return words.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }

    /// Compresses whole 64-byte blocks into the state, on the CPU's SHA instructions where they are used.
    private mutating func compress(blocks: UnsafeRawBufferPointer) {
        guard usesHardware else {
            for start in stride(from: 0, to: blocks.count, by: 64) {
                compress(block: UnsafeRawBufferPointer(rebasing: blocks[start..<(start + 64)]))
            }
            return
        }
        withUnsafeMutableBytes(of: &state) { words in
            crm_sha256_blocks(words.baseAddress!.assumingMemoryBound(to: UInt32.self), blocks.baseAddress!, blocks.count / 64)
        }
    }

    private mutating func compress(block: UnsafeRawBufferPointer) {
        // The message schedule in a stack buffer, the constants (CSHA256's, which the CPU's instructions use too)
        // through a pointer: no allocation and no bounds check per block (this runs over every byte of every input file).
        var (a, b, c, d, e, f, g, h) = state
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for t in 0..<16 {
                w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
            }
            for t in 16..<64 {
                let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
                let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            let k = UnsafeBufferPointer(start: crm_sha256_round_constants(), count: 64)
            for t in 0..<64 {
                let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                let choice = (e & f) ^ (~e & g)
                let temp1 = h &+ s1 &+ choice &+ k[t] &+ w[t]
                let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let temp2 = s0 &+ majority
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ temp1, c, b, a, temp1 &+ temp2)
            }
        }
        state = (
            state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d,
            state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h
        )
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}
