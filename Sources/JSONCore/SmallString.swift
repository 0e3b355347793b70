extension String {
    /// The string of the UTF-8 `bytes` (ill-formed sequences repaired, as by
    /// `String(decoding:as:)`).
    ///
    /// Most values in JSON and CSV data are short ASCII: an id, a status, a date. Swift keeps a
    /// string of up to 15 UTF-8 bytes inside the `String` value itself, and `String(decoding:)`
    /// spends most of a field's cost getting there (a validation pass, an ASCII pass, then the
    /// copy). For ASCII of up to 15 bytes this writes that inline form directly — the two words
    /// of the value: the bytes in order, and in the last byte the flags "immortal, small,
    /// ASCII" with the count. That form is part of Swift's stable ABI on 64-bit little-endian
    /// platforms; `SmallStringForm.isAvailable` checks it once against strings the standard
    /// library made, and everything else goes through `String(decoding:)`.
    @inlinable
    public init(utf8Bytes bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count <= 15, SmallStringForm.isAvailable, let small = SmallStringForm.ascii(bytes) {
            self = small
        } else {
            self = String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// Swift's inline form of a short string, written directly (see `String(utf8Bytes:)`).
@usableFromInline
enum SmallStringForm {
    /// Whether this platform and runtime lay out small strings as `ascii` writes them.
    @usableFromInline
    static let isAvailable: Bool = {
        #if (arch(x86_64) || arch(arm64)) && _endian(little)
        guard MemoryLayout<String>.size == 16 else { return false }
        // Every length, and bytes that differ from one place to the next.
        for sample in (0...15).map({ String("0123456789abcde~".prefix($0)) }) {
            let built = Array(sample.utf8).withUnsafeBufferPointer { ascii($0) }
            guard let built, built == sample, built.utf8.count == sample.utf8.count, built.hashValue == sample.hashValue,
                built.utf8.elementsEqual(sample.utf8), (built + "!") == sample + "!"
            else { return false }
        }
        return true
        #else
        return false
        #endif
    }()

    /// The inline form of `bytes` (at most 15), or nil when they are not all ASCII.
    @inlinable @inline(__always)
    static func ascii(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let count = bytes.count
        var low: UInt64 = 0, high: UInt64 = 0
        // Two loads that may overlap (the overlapping bytes are the same), not a `memcpy` call.
        if count >= 8 {
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            low = raw.loadUnaligned(as: UInt64.self)
            if count > 8 { high = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) >> UInt64((16 - count) * 8) }
        } else if count >= 4 {
            let raw = UnsafeRawPointer(bytes.baseAddress!)
            let first = UInt64(raw.loadUnaligned(as: UInt32.self)), last = UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            low = first | last << UInt64((count - 4) * 8)
        } else if count > 0 {
            low = UInt64(bytes[0]) | UInt64(bytes[count / 2]) << UInt64(count / 2 * 8) | UInt64(bytes[count - 1]) << UInt64((count - 1) * 8)
        }
        guard (low | high) & 0x8080_8080_8080_8080 == 0 else { return nil }
        // Immortal (0x80), small (0x20) and ASCII (0x40), and the count, in the top byte.
        high |= (0xE0 | UInt64(count)) << 56
        // Written over an empty string (immortal too), so that no retain is made of the result.
        var string = ""
        withUnsafeMutableBytes(of: &string) { raw in
            raw.storeBytes(of: low, as: UInt64.self)
            raw.storeBytes(of: high, toByteOffset: 8, as: UInt64.self)
        }
        return string
    }

    /// Whether the strings the standard library makes in the inline ASCII form carry exactly the
    /// flags and count `ascii` writes, so that `asciiWords` can read them.
    @usableFromInline
    static let isReadable: Bool = {
        guard isAvailable else { return false }
        // Made at run time, by decoding and by appending, not taken from literals.
        for count in 0...15 {
            let bytes = Array("abcdefghijklmnop".utf8.prefix(count))
            let decoded = bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            var appended = ""
            for byte in bytes { appended.append(Character(Unicode.Scalar(byte))) }
            for sample in [decoded, appended] {
                guard let words = asciiWords(sample), words.count == count else { return false }
                var read = [UInt8]()
                withUnsafeBytes(of: words.low) { read += $0 }
                withUnsafeBytes(of: words.high) { read += $0.prefix(7) }
                guard Array(read.prefix(count)) == bytes else { return false }
            }
        }
        return asciiWords("é") == nil
    }()

    /// The two words of `string`'s inline form when it is ASCII of at most 15 bytes (the bytes
    /// in order from the low word; the last byte, the flags, cleared), with the count; nil for
    /// any other string. Only meaningful when `isReadable`.
    @inline(__always)
    static func asciiWords(_ string: String) -> (low: UInt64, high: UInt64, count: Int)? {
        guard MemoryLayout<String>.size == 16 else { return nil }
        // A bit cast: no retain, whatever the string is.
        let (low, high) = unsafeBitCast(string, to: (UInt64, UInt64).self)
        let top = high >> 56
        guard top & 0xF0 == 0xE0 else { return nil }
        return (UInt64(littleEndian: low), UInt64(littleEndian: high) & 0x00FF_FFFF_FFFF_FFFF, Int(top & 0x0F))
    }
}
