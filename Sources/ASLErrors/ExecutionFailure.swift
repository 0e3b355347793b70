import JSONCore

/// An ASL run-time error: data that Retry and Catch match on, and that ends an execution when
/// nothing catches it. `cause` reproduces AWS's text for the same failure.
public struct ExecutionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var error: ErrorName
    public var cause: String?

    public init(_ error: ErrorName, cause: String? = nil) {
        self.error = error
        self.cause = cause
    }

    /// The error output a Catcher passes on: `{"Error": ..., "Cause": ...}`.
    public var errorOutput: JSONValue {
        var object = JSONObject()
        object["Error"] = .string(error.rawValue)
        if let cause { object["Cause"] = .string(cause) }
        return .object(object)
    }

    public var description: String {
        cause.map { "\(error.rawValue): \($0)" } ?? error.rawValue
    }
}
