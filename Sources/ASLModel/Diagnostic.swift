import Foundation

/// One problem in a definition: where (a JSON Pointer, as AWS names places: `/States/Wait/Seconds`)
/// and what.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, one per line in `statesman validate`.
    public var description: String { "\(path): \(message)" }
}

/// Collects every problem of a definition; decoding never stops at the first.
struct Diagnostics {
    var items: [Diagnostic] = []

    mutating func add(_ path: String, _ message: String) {
        items.append(Diagnostic(path: path.isEmpty ? "/" : path, message: message))
    }
}

/// Appends a reference token to a JSON Pointer (RFC 6901 escaping).
func pointer(_ base: String, _ token: String) -> String {
    base + "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
}

func pointer(_ base: String, _ index: Int) -> String { base + "/\(index)" }
