#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Object keys read recently, found by a hash of their bytes: the documents of a stream repeat
/// the same keys in every item, and a hit reuses the string instead of decoding it again.
///
/// One slot per hash bucket, the newest key winning. Slots live in flat buffers rather than
/// arrays of arrays, and the cache is a plain value (a few pointers), so a lookup retains and
/// releases nothing; its owner frees it with `deallocate()`.
///
/// Records of one stream usually share their shape, so each slot also remembers which key
/// followed it last time (and `objectStart` which key opened an object): the parser first
/// compares the text with that predicted key, which needs no hashing when it is right.
struct KeyCache {
    static let slotCount = 512
    /// Longer keys are not cached (they are rare, and comparing them costs what decoding does).
    static let maximumLength = 32
    /// The "previous key" of an object's first key.
    static let objectStart = slotCount

    /// `slotCount` rows of `maximumLength` bytes.
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Each slot's key length; `UInt8.max` for an empty slot.
    private let lengths: UnsafeMutablePointer<UInt8>
    private let strings: UnsafeMutablePointer<String>
    /// Each slot's key hash (the parser's FNV-1a).
    private let hashes: UnsafeMutablePointer<UInt32>
    /// For each slot and for `objectStart`, the slot of the key read after it last time; -1
    /// for none.
    private let successors: UnsafeMutablePointer<Int16>

    init() {
        bytes = .allocate(capacity: Self.slotCount * Self.maximumLength)
        lengths = .allocate(capacity: Self.slotCount)
        lengths.initialize(repeating: .max, count: Self.slotCount)
        strings = .allocate(capacity: Self.slotCount)
        strings.initialize(repeating: "", count: Self.slotCount)
        hashes = .allocate(capacity: Self.slotCount)
        hashes.initialize(repeating: 0, count: Self.slotCount)
        successors = .allocate(capacity: Self.slotCount + 1)
        successors.initialize(repeating: -1, count: Self.slotCount + 1)
    }

    func deallocate() {
        strings.deinitialize(count: Self.slotCount)
        strings.deallocate()
        lengths.deallocate()
        bytes.deallocate()
        hashes.deallocate()
        successors.deallocate()
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

    /// Caches `string` for `key`; its slot, or nil when the key is too long to cache.
    @discardableResult
    func store(_ string: String, for key: UnsafeBufferPointer<UInt8>, hash: UInt32) -> Int? {
        guard key.count <= Self.maximumLength else { return nil }
        let slot = Self.slot(hash)
        if let base = key.baseAddress { (bytes + slot * Self.maximumLength).update(from: base, count: key.count) }
        lengths[slot] = UInt8(key.count)
        strings[slot] = string
        hashes[slot] = hash
        return slot
    }

    /// Notes that the key in `slot` was read after the one in `previous` (a slot or
    /// `objectStart`).
    @inline(__always)
    func follow(_ previous: Int, with slot: Int) {
        if successors[previous] != Int16(truncatingIfNeeded: slot) { successors[previous] = Int16(truncatingIfNeeded: slot) }
    }

    /// The key that followed `previous` last time, when `text` holds exactly it from `start`
    /// and a `"` after it: its slot, length, hash and string.
    @inline(__always)
    func predicted(after previous: Int, in text: UnsafeBufferPointer<UInt8>, at start: Int) -> (slot: Int, length: Int, hash: UInt32, string: String)? {
        let slot = Int(successors[previous])
        guard slot >= 0, let base = text.baseAddress else { return nil }
        let length = Int(lengths[slot])
        // Successors only name filled slots, so `length` is at most `maximumLength`.
        guard start + length < text.count, text[start + length] == UInt8(ascii: "\"") else { return nil }
        let stored = UnsafeRawPointer(bytes + slot * Self.maximumLength)
        let input = UnsafeRawPointer(base + start)
        var index = 0
        while index + 8 <= length {
            guard stored.loadUnaligned(fromByteOffset: index, as: UInt64.self) == input.loadUnaligned(fromByteOffset: index, as: UInt64.self) else { return nil }
            index += 8
        }
        let rest = length - index
        if rest > 0 {
            if start + index + 8 <= text.count {
                // One masked word for the last bytes (the stored row has room for it).
                let mask: UInt64 = (1 << UInt64(8 * rest)) - 1
                let a = UInt64(littleEndian: stored.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let b = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                guard (a ^ b) & mask == 0 else { return nil }
            } else {
                while index < length {
                    guard stored.load(fromByteOffset: index, as: UInt8.self) == input.load(fromByteOffset: index, as: UInt8.self) else { return nil }
                    index += 1
                }
            }
        }
        return (slot, length, hashes[slot], strings[slot])
    }
}
