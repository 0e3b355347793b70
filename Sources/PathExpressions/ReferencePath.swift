import JSONCore

/// A reference path: the restricted JSONPath that names one node (`ResultPath`, `ItemsPath`,
/// `SecondsPath`, `TimeoutSecondsPath`, ...). Only names (`.a`, `['a b']`) and non-negative
/// indexes (`[0]`) are allowed: no wildcards, `..`, filters, slices, unions or functions.
public struct ReferencePath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case field(String)
        case index(Int)
    }

    public let text: String
    public let root: PathRoot
    public let components: [Component]
    private let path: JSONPath

    public init(_ text: String) throws(JSONPathError) {
        guard let (root, pathText) = PathRoot.split(text) else {
            throw .invalid("'\(text)' does not start with '$'")
        }
        let path = try JSONPath(pathText)
        guard !path.rootIsCurrent else { throw .invalid("'\(text)' does not start with '$'") }
        var components: [Component] = []
        for token in path.tokens {
            switch token {
            case .property(let names) where names.count == 1:
                components.append(.field(names[0]))
            case .index(let indexes) where indexes.count == 1 && indexes[0] >= 0:
                components.append(.index(indexes[0]))
            default:
                throw .invalid("'\(text)' does not select a single node ('\(token.fragment)' is not allowed in a Reference Path)")
            }
        }
        self.text = text
        self.root = root
        self.components = components
        self.path = path
    }

    public var description: String { text }

    /// The node the path names, from `scope`.
    public func select(in scope: DataScope) throws(JSONPathError) -> JSONValue {
        try Selector(uncheckedRoot: root, path: path, text: text).select(in: scope)
    }

    /// Places `value` at this path inside `document`, creating objects along the way, as
    /// `ResultPath` does. Returns `nil` when the path cannot be applied (a step goes through a
    /// value that is not an object, or an index outside an array): AWS's
    /// `States.ResultPathMatchFailure`.
    public func placing(_ value: JSONValue, into document: JSONValue) -> JSONValue? {
        Self.place(value, into: document, components[...])
    }

    private static func place(_ value: JSONValue, into node: JSONValue, _ rest: ArraySlice<Component>) -> JSONValue? {
        guard let first = rest.first else { return value }
        switch (first, node) {
        case (.field(let name), .object(var object)):
            let child = object[name] ?? .object(JSONObject())
            guard let replaced = place(value, into: child, rest.dropFirst()) else { return nil }
            object[name] = replaced
            return .object(object)
        case (.index(let i), .array(var array)) where array.indices.contains(i):
            guard let replaced = place(value, into: array[i], rest.dropFirst()) else { return nil }
            array[i] = replaced
            return .array(array)
        default:
            return nil
        }
    }
}

extension Selector {
    init(uncheckedRoot root: PathRoot, path: JSONPath, text: String) {
        self.text = text
        self.root = root
        self.path = path
    }
}
