import JSONCore

/// One step of a compiled JSONPath, after Jayway's token kinds.
enum PathToken: Sendable {
    /// `.name`, `['name']`, or `['a','b']` (several names merge into one object at the leaf).
    case property([String])
    /// `[0]`, `[-1]`, `[0,2]`.
    case index([Int])
    /// `[from:to]`; Jayway ignores a step.
    case slice(from: Int?, to: Int?)
    /// `*` or `[*]`.
    case wildcard
    /// `..`
    case scan
    /// `[?(...)]`
    case filter(FilterExpression)
    /// `.length()`, `.sum()`, ...
    case function(name: String, arguments: [FunctionArgument])

    /// The normalised text of the step, as Jayway prints it in messages (`['a']`, `[0]`, `[*]`).
    var fragment: String {
        switch self {
        case .property(let names): "[" + names.map { "'\($0)'" }.joined(separator: ",") + "]"
        case .index(let indexes): "[" + indexes.map(String.init).joined(separator: ",") + "]"
        case .slice(let from, let to): "[" + (from.map(String.init) ?? "") + ":" + (to.map(String.init) ?? "") + "]"
        case .wildcard: "[*]"
        case .scan: ".."
        case .filter: "[?]"
        case .function(let name, _): ".\(name)()"
        }
    }
}

/// An argument of a path function: a literal JSON value or a path evaluated against the document.
enum FunctionArgument: Sendable {
    case literal(JSONValue)
    case path(JSONPath)
}
