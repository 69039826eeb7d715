/// SplitMix64: a small, fast, deterministic random number generator (the same seed, the same numbers
/// on every machine), so that generated exports are byte-identical for a seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound`.
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// `true` with probability `share`.
    mutating func chance(_ share: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < share
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
