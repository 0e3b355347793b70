extension String {
    /// Code-point equality, as Java's `String.equals` and JSON compare strings.
    ///
    /// Swift's `==` treats canonically equivalent strings as equal (`"ü"` precomposed equals `"u"`
    /// with a combining diaeresis); JSON keys and values must not.
    @inlinable
    public func isExactlyEqual(to other: String) -> Bool {
        var a = self, b = other
        return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && (x.count == 0 || memcmpEqual(x, y)) } }
    }
}

@usableFromInline
func memcmpEqual(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < x.count {
        if x[i] != y[i] { return false }
        i += 1
    }
    return true
}

/// A dictionary key that hashes and compares strings by their UTF-8 bytes.
struct ExactKey: Hashable {
    let string: String
    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { lhs.string.isExactlyEqual(to: rhs.string) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
