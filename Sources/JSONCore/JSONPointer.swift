/// A key that an object of a parsed document repeats.
public struct JSONDuplicateKey: Sendable, Equatable, CustomStringConvertible {
    /// The JSON Pointer of the object (`/States/Start`; `/` for the top-level object).
    public var pointer: String
    public var key: String
    public var description: String { "\(pointer): duplicate key \"\(key)\"" }
}

/// JSON Pointer (RFC 6901) helpers: AWS names places in definitions this way
/// (`/States/WaitUntil/Timestamp`).
public enum JSONPointer {
    /// Escapes one reference token: `~` → `~0`, `/` → `~1`.
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.replacingTilde()
    }
}

extension String {
    fileprivate func replacingTilde() -> String {
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}
