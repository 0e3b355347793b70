/// Why an invocation did not return a value: the ASL error name and the Lambda-shaped error
/// object that becomes the cause.
public struct PluginFailure: Error, Sendable, Equatable {
    /// The ASL error name (`Error` in the history, matched by Retry and Catch).
    public var error: String
    public var errorMessage: String
    /// The `errorType` of the error object (for a handler's exception, the same as `error`).
    public var errorType: String?
    public var stackTrace: [String]?
    public var requestId: String

    public init(error: String, errorMessage: String, errorType: String? = nil, stackTrace: [String]? = nil, requestId: String) {
        self.error = error
        self.errorMessage = errorMessage
        self.errorType = errorType
        self.stackTrace = stackTrace
        self.requestId = requestId
    }

    /// The error names the host itself reports (`protocol/README.md` lists them with their causes).
    public enum Name {
        /// The worker died while running the invocation.
        public static let unknown = "Lambda.Unknown"
        /// The function ran past its own timeout (the registry's `timeout`).
        public static let functionTimedOut = "Sandbox.Timedout"
        /// The plugin broke the protocol: a line that is not a message, an oversize line, an unknown id.
        public static let protocolError = "Plugin.ProtocolError"
        /// The plugin could not be started, or exited or stalled before its hello.
        public static let startFailed = "Plugin.StartFailed"
        /// The function exceeded its memory setting inside the sandbox.
        public static let outOfMemory = "Runtime.OutOfMemory"
        /// The registry has no such function.
        public static let notFound = "Lambda.ResourceNotFoundException"
        /// The invocation's caller went away, or the host was shut down.
        public static let cancelled = "Plugin.Cancelled"
        /// A result over Lambda's 6,291,556-byte response limit (the runners report it).
        public static let responseTooLarge = "Function.ResponseSizeTooLarge"
    }

    /// Errors Lambda's service reports itself rather than the function's runtime: their error
    /// objects carry no request id.
    static let fromTheService: Set<String> = [Name.responseTooLarge]
}
