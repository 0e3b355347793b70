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
    /// For the common case of names and indexes only (`$.a.b[0]`): the steps to walk
    /// directly, without the general evaluator.
    let simpleSteps: [SimpleStep]?

    enum SimpleStep: Sendable {
        case name(String)
        case index(Int)
    }

    public init(_ text: String) throws(JSONPathError) {
        let compiled = try JSONPathCompiler.compile(text)
        let tokens = compiled.tokens
        // Computed on locals, then each property assigned once.
        let definite = tokens.indices.map { i in
            switch tokens[i] {
            // Several names merge into one object at the leaf, "so it's kinda definite" (Jayway).
            case .property(let names): names.count == 1 || i == tokens.count - 1
            case .index(let indexes): indexes.count == 1
            case .function: true
            case .slice, .wildcard, .scan, .filter: false
            }
        }
        var steps: [SimpleStep] = []
        for token in tokens {
            switch token {
            case .property(let names) where names.count == 1: steps.append(.name(names[0]))
            case .index(let indexes) where indexes.count == 1: steps.append(.index(indexes[0]))
            default: break
            }
        }
        self.text = text
        self.rootIsCurrent = compiled.rootIsCurrent
        self.tokens = tokens
        self.tokenIsDefinite = definite
        self.simpleSteps = steps.count == tokens.count ? steps : nil
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
        if let simpleSteps, let found = Self.walk(document, simpleSteps) { return found }
        // Not found by the fast walk: the general evaluator gives Jayway's exact error.
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

extension JSONPath {
    /// Follows names and indexes; `nil` when a step finds nothing.
    @inline(__always)
    static func walk(_ document: JSONValue, _ steps: [SimpleStep]) -> JSONValue? {
        var current = document
        for step in steps {
            switch (step, current) {
            case (.name(let name), .object(let object)):
                guard let next = object[name] else { return nil }
                current = next
            case (.index(let index), .array(let array)):
                let effective = index < 0 ? array.count + index : index
                guard array.indices.contains(effective) else { return nil }
                current = array[effective]
            default:
                return nil
            }
        }
        return current
    }
}

extension JSONPath: Equatable, Hashable {
    public static func == (lhs: JSONPath, rhs: JSONPath) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
