import JSONCore

/// An ASL run-time error: data that Retry and Catch match on, and that ends an execution when
/// nothing catches it. `cause` reproduces AWS's text for the same failure.
public struct ExecutionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var error: ErrorName
    public var cause: String?
    /// A `States.Timeout` that came from a missed heartbeat: `States.HeartbeatTimeout` in
    /// Retry and Catch also matches it.
    public var heartbeatExpired = false
    /// Ends the execution: Retry and Catch do not see it (a state whose own output is over the
    /// payload limit, unlike a task whose result is, which Catch may handle).
    public var terminal = false
    /// For a `States.QueryEvaluationError` not yet recorded in the history: the field whose
    /// JSONata evaluation failed (the `location` of the `EvaluationFailed` event).
    public var evaluationLocation: String?

    public init(_ error: ErrorName, cause: String? = nil) {
        self.error = error
        self.cause = cause
    }

    /// The failure of a task whose `HeartbeatSeconds` passed without a heartbeat.
    public static var heartbeatTimeout: ExecutionFailure {
        var failure = ExecutionFailure(.timeout, cause: "")
        failure.heartbeatExpired = true
        return failure
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
