#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Object keys read recently, found by a hash of their bytes: the documents of a stream repeat
/// the same keys in every item, and a hit reuses the string instead of decoding it again.
///
/// One slot per hash bucket, the newest key winning. Slots live in flat buffers rather than
/// arrays of arrays, and the cache is a plain value (three pointers), so a lookup retains and
/// releases nothing; its owner frees it with `deallocate()`.
struct KeyCache {
    static let slotCount = 512
    /// Longer keys are not cached (they are rare, and comparing them costs what decoding does).
    static let maximumLength = 32

    /// `slotCount` rows of `maximumLength` bytes.
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Each slot's key length; `UInt8.max` for an empty slot.
    private let lengths: UnsafeMutablePointer<UInt8>
    private let strings: UnsafeMutablePointer<String>

    init() {
        bytes = .allocate(capacity: Self.slotCount * Self.maximumLength)
        lengths = .allocate(capacity: Self.slotCount)
        lengths.initialize(repeating: .max, count: Self.slotCount)
        strings = .allocate(capacity: Self.slotCount)
        strings.initialize(repeating: "", count: Self.slotCount)
    }

    func deallocate() {
        strings.deinitialize(count: Self.slotCount)
        strings.deallocate()
        lengths.deallocate()
        bytes.deallocate()
    }

    @inline(__always)
    static func slot(_ hash: UInt32) -> Int { Int(hash & UInt32(slotCount - 1)) }

    /// The string cached for exactly these bytes, if any.
    @inline(__always)
    func string(for key: UnsafeBufferPointer<UInt8>, hash: UInt32) -> String? {
        let slot = Self.slot(hash)
        guard Int(lengths[slot]) == key.count else { return nil }
        // Keys are short: compared here, eight bytes at a time, rather than by a call.
        let stored = bytes + slot * Self.maximumLength
        var index = 0
        if let base = key.baseAddress {
            while index + 8 <= key.count {
                guard UnsafeRawPointer(stored + index).loadUnaligned(as: UInt64.self) == UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                else { return nil }
                index += 8
            }
            while index < key.count {
                guard stored[index] == base[index] else { return nil }
                index += 1
            }
        }
        return strings[slot]
    }

    func store(_ string: String, for key: UnsafeBufferPointer<UInt8>, hash: UInt32) {
        guard key.count <= Self.maximumLength else { return }
        let slot = Self.slot(hash)
        if let base = key.baseAddress { (bytes + slot * Self.maximumLength).update(from: base, count: key.count) }
        lengths[slot] = UInt8(key.count)
        strings[slot] = string
    }
}
