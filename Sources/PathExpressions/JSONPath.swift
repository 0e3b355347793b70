import JSONCore

/// A JSONPath with the semantics AWS Step Functions uses: those of Jayway JsonPath 2.x.
///
/// A *definite* path (only single names and single indexes, e.g. `$.a[0].b`) selects one value
/// and fails with `pathNotFound` when there is none; an *indefinite* path (wildcard, `..`, slice,
/// filter, union of indexes) selects a list, empty when nothing matches.
public struct JSONPath: Sendable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// Whether the path starts at `@` (the current item in a filter) rather than `$`.
    let rootIsCurrent: Bool
    let tokens: [PathToken]
    let tokenIsDefinite: [Bool]

    public init(_ text: String) throws(JSONPathError) {
        self.text = text
        let compiled = try JSONPathCompiler.compile(text)
        rootIsCurrent = compiled.rootIsCurrent
        tokens = compiled.tokens
        tokenIsDefinite = tokens.indices.map { [tokens] i in
            switch tokens[i] {
            // Several names merge into one object at the leaf, "so it's kinda definite" (Jayway).
            case .property(let names): names.count == 1 || i == tokens.count - 1
            case .index(let indexes): indexes.count == 1
            case .function: true
            case .slice, .wildcard, .scan, .filter: false
            }
        }
    }

    /// Whether the path selects at most one value.
    public var isDefinite: Bool { !tokenIsDefinite.contains(false) }

    /// The normalised form Jayway prints in messages, e.g. `$['a'][0]`.
    public var normalized: String {
        (rootIsCurrent ? "@" : "$") + tokens.map(\.fragment).joined()
    }

    public var description: String { text }

    /// Evaluates the path against `document`. A definite path returns the selected value; an
    /// indefinite one returns an array of the matches.
    public func evaluate(_ document: JSONValue) throws(JSONPathError) -> JSONValue {
        try evaluate(document, root: document)
    }

    /// Evaluates with `$` inside filters bound to `root`.
    func evaluate(_ document: JSONValue, root: JSONValue, requireProperties: Bool = false) throws(JSONPathError) -> JSONValue {
        var evaluator = PathEvaluator(path: self, root: root, requireProperties: requireProperties)
        try evaluator.evaluate(0, document)
        if isDefinite {
            guard let last = evaluator.results.last else {
                throw .notFound("No results for path: \(normalized)")
            }
            return last
        }
        return .array(evaluator.results)
    }
}

extension JSONPath: Equatable, Hashable {
    public static func == (lhs: JSONPath, rhs: JSONPath) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
