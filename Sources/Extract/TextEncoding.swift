/// The character encoding of an input file. Anything but UTF-8 is converted to UTF-8 while reading.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case latin1
    case windows1252 = "windows-1252"

    /// Appends the UTF-8 form of single-byte text to `output`.
    ///
    /// - Parameters:
    ///   - input: Latin-1 or Windows-1252 bytes.
    ///   - output: Receives UTF-8 bytes.
    func transcode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + input.count * 2)
        for byte in input {
            let scalar: UInt32 = self == .windows1252 && (0x80...0x9F).contains(byte)
                ? UInt32(Self.windows1252High[Int(byte) - 0x80]) : UInt32(byte)
            switch scalar {
            case 0..<0x80:
                output.append(UInt8(scalar))
            case 0x80..<0x800:
                output.append(UInt8(0xC0 | (scalar >> 6)))
                output.append(UInt8(0x80 | (scalar & 0x3F)))
            default:
                output.append(UInt8(0xE0 | (scalar >> 12)))
                output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                output.append(UInt8(0x80 | (scalar & 0x3F)))
            }
        }
    }

    /// Windows-1252 code points for 0x80…0x9F, where it differs from Latin-1. The five bytes it leaves
    /// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 controls, as the WHATWG encoding standard does.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
