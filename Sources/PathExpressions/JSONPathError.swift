/// Why a JSONPath could not be compiled or evaluated. The kinds mirror Jayway JsonPath's
/// exceptions, whose messages AWS quotes in its error causes.
public struct JSONPathError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The path does not parse (Jayway `InvalidPathException`).
        case invalidPath
        /// A definite path selected nothing (Jayway `PathNotFoundException`).
        case pathNotFound
        /// Any other failure while evaluating (for example an aggregation over no numbers).
        case evaluationFailed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func invalid(_ message: String) -> JSONPathError { JSONPathError(.invalidPath, message) }
    static func notFound(_ message: String) -> JSONPathError { JSONPathError(.pathNotFound, message) }
}
