#if canImport(Glibc)
import Glibc
#endif

/// Random UUIDs in lower case, as AWS writes them in ARNs, request ids and `States.UUID()`.
/// Foundation's `UUID()` opens and reads `/dev/urandom` on each call on Linux; this reads it
/// (opened once) 512 bytes at a time into a block of each thread's own: a Map Run asks for two
/// UUIDs per child execution and a Lambda Task for one, and a system call per 8 bytes
/// (`SystemRandomNumberGenerator`), then threads waiting for each other's lock on one shared
/// block, showed in their profiles.
public enum RandomUUID {
    /// A version 4 UUID: all random.
    public static func string() -> String {
        let (high, low) = next128()
        return format(high: (high & ~0xF000) | 0x4000, low: low)  // version 4
    }

    /// A version 7 UUID (RFC 9562): the Unix time in milliseconds, then random bits. Still
    /// unique and unguessable, but names made one after another sort in that order, so a
    /// database index of them (a Map Run's child executions) grows at its end instead of
    /// being written all over.
    public static func timeOrdered() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        let (random, low) = next128()
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (random & 0x0FFF)  // version 7
        return format(high: high, low: low)
    }

    private static let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    private static let blocks = ThreadLocal(RandomBlock())

    /// 128 bits from the calling thread's block.
    private static func next128() -> (UInt64, UInt64) { blocks.withValue { $0.next128() } }

    /// The kernel generator's output, read 4 KiB at a time (a read per 256 UUIDs: a Map's
    /// request ids and names are made by the thousand) and handed out once each.
    private struct RandomBlock: BitwiseCopyable {
        var words = InlineArray<512, UInt64>(repeating: 0)
        var used = 512

        mutating func next128() -> (UInt64, UInt64) {
            if used + 2 > words.count {
                var offset = 0
                withUnsafeMutableBytes(of: &words) { bytes in
                    while RandomUUID.device >= 0, offset < bytes.count {
                        let count = read(RandomUUID.device, bytes.baseAddress! + offset, bytes.count - offset)
                        if count > 0 { offset += count } else if count < 0, errno == EINTR { continue } else { break }
                    }
                }
                if offset < words.count * 8 {
                    var generator = SystemRandomNumberGenerator()
                    for index in words.indices { words[index] = generator.next() }
                }
                used = 0
            }
            defer { used += 2 }
            return (words[used], words[used + 1])
        }
    }

    /// The 36-character text of a UUID's 128 bits, with the RFC 4122 variant set: two hex
    /// digits per byte from a table, a dash before bytes 4, 6, 8 and 10.
    private static func format(high: UInt64, low: UInt64) -> String {
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10xx
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            let hex = digits.utf8Start
            var position = 0
            for index in 0..<16 {
                let word = index < 8 ? high : low
                let byte = Int(truncatingIfNeeded: word >> UInt64(56 - 8 * (index & 7))) & 0xFF
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[position] = UInt8(ascii: "-")
                    position += 1
                }
                buffer[position] = hex[byte >> 4]
                buffer[position + 1] = hex[byte & 0xF]
                position += 2
            }
            return position
        }
    }
}
