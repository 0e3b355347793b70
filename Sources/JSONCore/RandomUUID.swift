#if canImport(Glibc)
import Glibc
#endif

/// Random UUIDs in lower case, as AWS writes them in ARNs, request ids and `States.UUID()`.
/// Foundation's `UUID()` opens and reads `/dev/urandom` on each call on Linux; this uses the
/// system generator (`getrandom`), which a Map Run calling it per child execution notices.
public enum RandomUUID {
    /// A version 4 UUID: all random.
    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() & ~0xF000) | 0x4000  // version 4
        return format(high: high, low: generator.next())
    }

    /// A version 7 UUID (RFC 9562): the Unix time in milliseconds, then random bits. Still
    /// unique and unguessable, but names made one after another sort in that order, so a
    /// database index of them (a Map Run's child executions) grows at its end instead of
    /// being written all over.
    public static func timeOrdered() -> String {
        var generator = SystemRandomNumberGenerator()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (generator.next() & 0x0FFF)  // version 7
        return format(high: high, low: generator.next())
    }

    /// The 36-character text of a UUID's 128 bits, with the RFC 4122 variant set.
    private static func format(high: UInt64, low: UInt64) -> String {
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10xx
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for index in stride(from: nibbles - 1, through: 0, by: -1) {
                    let nibble = UInt8((value >> (UInt64(index) * 4)) & 0xF)
                    buffer[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return position
        }
    }
}
