/// An ASL error name, as matched by `ErrorEquals` in Retry and Catch.
///
/// Error names are open-ended (a Task may fail with any name it likes), so this is a string
/// wrapper with the predefined names of the States Language as static members, spelled as AWS
/// spells them.
public struct ErrorName: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    public static let all: ErrorName = "States.ALL"
    public static let timeout: ErrorName = "States.Timeout"
    public static let heartbeatTimeout: ErrorName = "States.HeartbeatTimeout"
    public static let taskFailed: ErrorName = "States.TaskFailed"
    public static let permissions: ErrorName = "States.Permissions"
    public static let resultPathMatchFailure: ErrorName = "States.ResultPathMatchFailure"
    public static let parameterPathFailure: ErrorName = "States.ParameterPathFailure"
    public static let queryEvaluationError: ErrorName = "States.QueryEvaluationError"
    public static let branchFailed: ErrorName = "States.BranchFailed"
    public static let noChoiceMatched: ErrorName = "States.NoChoiceMatched"
    public static let intrinsicFailure: ErrorName = "States.IntrinsicFailure"
    public static let exceedToleratedFailureThreshold: ErrorName = "States.ExceedToleratedFailureThreshold"
    public static let itemReaderFailed: ErrorName = "States.ItemReaderFailed"
    public static let resultWriterFailed: ErrorName = "States.ResultWriterFailed"
    public static let dataLimitExceeded: ErrorName = "States.DataLimitExceeded"
    public static let runtime: ErrorName = "States.Runtime"
}
