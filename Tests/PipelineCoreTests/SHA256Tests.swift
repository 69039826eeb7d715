@testable import PipelineCore
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    @Test("known digests (FIPS 180-4 examples)", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("The quick brown fox jumps over the lazy dog",
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func knownDigests(message: String, digest: String) {
        #expect(SHA256.hexDigest(of: Array(message.utf8)) == digest)
    }

    @Test("the CPU's SHA instructions and the portable code give the same digests, whole or in pieces of every shape",
          .enabled(if: SHA256.hardwareAvailable, "this CPU has no SHA instructions: the portable code alone runs"))
    func hardwareMatchesPortable() {
        // Bytes with no pattern a block would repeat, the same every run.
        let data = (0..<(1 << 20) + 77).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        func digest(_ length: Int, hardware: Bool, piece: Int) -> String {
            var hasher = SHA256(usingHardware: hardware)
            var start = 0
            while start < length {
                hasher.update(Array(data[start..<min(start + piece, length)]))
                start += piece
            }
            return hasher.finalize()
        }
        for length in Array(0...200) + [1_000, 4_096, 65_537, data.count] {
            let portable = digest(length, hardware: false, piece: 1 << 21)
            // Whole; pieces shorter than a block; pieces that leave bytes pending, then whole blocks, then a remainder.
            for piece in [1 << 21, 61, 200] {
                #expect(digest(length, hardware: true, piece: piece) == portable, "\(length) bytes in pieces of \(piece)")
            }
        }
        for (message, expected) in [("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
                                    (String(repeating: "a", count: 1_000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")] {
            for hardware in [false, true] {
                var hasher = SHA256(usingHardware: hardware)
                hasher.update(Array(message.utf8))
                #expect(hasher.finalize() == expected, "hardware: \(hardware)")
            }
        }
    }

    @Test("a million 'a' fed in uneven pieces gives the reference digest")
    func streamingAcrossBlockBoundaries() {
        var hasher = SHA256()
        var remaining = 1_000_000
        var piece = 1
        while remaining > 0 {
            let count = min(piece, remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: count))
            remaining -= count
            piece = piece * 3 % 1_000 + 1
        }
        #expect(hasher.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the padding boundary match one-shot hashing", arguments: [55, 56, 57, 63, 64, 65, 119, 120])
    func paddingBoundaries(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var split = SHA256()
        split.update(Array(bytes.prefix(length / 2)))
        split.update(Array(bytes.dropFirst(length / 2)))
        #expect(split.finalize() == SHA256.hexDigest(of: bytes))
    }
}
