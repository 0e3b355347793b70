import Foundation
import JSONCore
import Synchronization

/// What a path in a state can see: the state's effective input (`$`), the context object
/// (`$$`) and the workflow variables (`$name`).
public struct DataScope: Sendable {
    public var input: JSONValue
    public var variables: JSONObject
    private var contextSource: LazyJSON

    /// The context object, built on first use when the scope was made with a builder.
    public var context: JSONValue {
        get { contextSource.value }
        set { contextSource = LazyJSON(value: newValue) }
    }

    public init(input: JSONValue, context: JSONValue = .object(JSONObject()), variables: JSONObject = JSONObject()) {
        self.input = input
        self.contextSource = LazyJSON(value: context)
        self.variables = variables
    }

    /// A scope whose context object is built only if a path reads it.
    public init(input: JSONValue, context: LazyJSON, variables: JSONObject = JSONObject()) {
        self.input = input
        self.contextSource = context
        self.variables = variables
    }
}

/// A JSON value computed once, on first use, by any thread. (One is made per state visit:
/// its lock is stored inline, not allocated as `NSLock`'s is.) A subclass may make the value
/// itself (`make`) from what it stores, sparing the closure and its captures an allocation.
open class LazyJSON: @unchecked Sendable {
    private enum Content {
        case cached(JSONValue)
        case pending((@Sendable () -> JSONValue)?)
    }

    private let content: Mutex<Content>

    public init(_ build: @escaping @Sendable () -> JSONValue) { content = Mutex(.pending(build)) }
    public init(value: JSONValue) { content = Mutex(.cached(value)) }
    /// For a subclass that overrides `make`.
    public init() { content = Mutex(.pending(nil)) }

    /// Makes the value, once, on first use (by default with the closure given to `init`).
    open func make() -> JSONValue { .null }

    public final var value: JSONValue {
        content.withLock { content in
            switch content {
            case .cached(let value):
                return value
            case .pending(let build):
                let built = build?() ?? make()
                content = .cached(built)
                return built
            }
        }
    }
}

/// Where a path starts.
public enum PathRoot: Sendable, Hashable {
    /// `$`: the state's input.
    case input
    /// `$$`: the context object.
    case context
    /// `$name`: a workflow variable.
    case variable(String)

    /// Splits `text` into its root and the JSONPath to apply to that root (always starting
    /// with `$`), or `nil` when `text` does not start with `$`.
    static func split(_ text: String) -> (PathRoot, String)? {
        guard text.hasPrefix("$") else { return nil }
        if text.hasPrefix("$$") { return (.context, String(text.dropFirst())) }
        let afterDollar = text.dropFirst()
        guard let first = afterDollar.unicodeScalars.first, isVariableStart(first) else {
            return (.input, text)
        }
        let nameEnd = afterDollar.unicodeScalars.firstIndex { $0 == "." || $0 == "[" } ?? afterDollar.endIndex
        let name = String(afterDollar[..<nameEnd])
        return (.variable(name), "$" + afterDollar[nameEnd...])
    }

    /// A variable name starts with a letter or `_` (Unicode ID_Start, as AWS's variable names).
    static func isVariableStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isIDStart
    }
}

/// A compiled JSONPath with its root: what a `.$` field, an `InputPath`, or an intrinsic
/// function's path argument selects.
public struct Selector: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let root: PathRoot
    public let path: JSONPath

    public init(_ text: String) throws(JSONPathError) {
        guard let (root, pathText) = PathRoot.split(text) else {
            throw .invalid("Path must start with '$'")
        }
        self.text = text
        self.root = root
        self.path = try JSONPath(pathText)
    }

    public var description: String { text }

    /// Selects from `scope`. A variable that was never assigned fails like a path that finds
    /// nothing. An indefinite path that finds nothing selects `[]`, also where Jayway would
    /// report a missing property before the wildcard (AWS, recorded: `$.items[*]` on `{}` gives
    /// `[]`).
    public func select(in scope: DataScope) throws(JSONPathError) -> JSONValue {
        let document: JSONValue
        switch root {
        case .input: document = scope.input
        case .context: document = scope.context
        case .variable(let name):
            guard let value = scope.variables[name] else {
                throw .notFound("The variable '\(name)' is not defined")
            }
            document = value
        }
        do {
            return try path.evaluate(document)
        } catch where error.kind == .pathNotFound && !path.isDefinite {
            return .array([])
        }
    }
}
