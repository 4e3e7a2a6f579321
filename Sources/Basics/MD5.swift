import Foundation

/// MD5 (RFC 1321), for dbt's `local_md5()` template function; not for anything that needs security.
public enum MD5 {
    static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                   5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                   4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                   6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    /// floor(abs(sin(i + 1)) * 2^32), as the RFC defines the table.
    static let table: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4294967296.0)) }

    /// Lowercase hex digest of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        var a0: UInt32 = 0x67452301, b0: UInt32 = 0xEFCDAB89, c0: UInt32 = 0x98BADCFE, d0: UInt32 = 0x10325476
        var msg = bytes
        msg.reserveCapacity(bytes.count + 72)
        let bitLength = UInt64(bytes.count) &* 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in 0..<8 { msg.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        shifts.withUnsafeBufferPointer { shift in
            table.withUnsafeBufferPointer { k in
                msg.withUnsafeBufferPointer { bytes in
                    for chunk in stride(from: 0, to: bytes.count, by: 64) {
                        @inline(__always) func word(_ g: Int) -> UInt32 {  // little-endian
                            let b = chunk + g * 4
                            return UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24
                        }
                        var a = a0, b = b0, c = c0, d = d0
                        for i in 0..<64 {
                            var f: UInt32
                            let g: Int
                            switch i {
                            case 0..<16: f = (b & c) | (~b & d); g = i
                            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) & 15
                            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) & 15
                            default: f = c ^ (b | ~d); g = (7 * i) & 15
                            }
                            f = f &+ a &+ k[i] &+ word(g)
                            a = d
                            d = c
                            c = b
                            b = b &+ (f << shift[i] | f >> (32 - shift[i]))
                        }
                        a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
                    }
                }
            }
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for v in [a0, b0, c0, d0] {
            for i in 0..<4 {
                let byte = Int((v >> (UInt32(i) * 8)) & 0xFF)
                out.append(digits[byte >> 4])
                out.append(digits[byte & 0xF])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
