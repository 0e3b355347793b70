import JSONCore

/// Walks a document along a compiled path, after Jayway's path tokens (with its default
/// options: no `SUPPRESS_EXCEPTIONS`, no `DEFAULT_PATH_LEAF_TO_NULL`; `REQUIRE_PROPERTIES` only
/// for existence checks in filters).
struct PathEvaluator {
    let path: JSONPath
    let root: JSONValue
    let requireProperties: Bool
    var results: [JSONValue] = []

    init(path: JSONPath, root: JSONValue, requireProperties: Bool) {
        self.path = path
        self.root = root
        self.requireProperties = requireProperties
    }

    private var tokens: [PathToken] { path.tokens }

    private func isLeaf(_ i: Int) -> Bool { i == tokens.count - 1 }

    private func isUpstreamDefinite(_ i: Int) -> Bool {
        var j = 0
        while j < i {
            if !path.tokenIsDefinite[j] { return false }
            j += 1
        }
        return true
    }

    /// `$` followed by the fragments before token `i`: Jayway's "current path" in messages.
    private func currentPath(_ i: Int) -> String {
        (path.rootIsCurrent ? "@" : "$") + tokens[0..<i].map(\.fragment).joined()
    }

    /// Passes `value` to the token after `i`, or keeps it when `i` is the last.
    private mutating func emit(_ i: Int, _ value: JSONValue) throws(JSONPathError) {
        if isLeaf(i) {
            results.append(value)
        } else {
            try evaluate(i + 1, value)
        }
    }

    mutating func evaluate(_ i: Int, _ model: JSONValue, upstreamArrayIndex: Int = -1) throws(JSONPathError) {
        guard i < tokens.count else {
            results.append(model)
            return
        }
        switch tokens[i] {
        case .property(let names):
            try evaluateProperty(i, names, model, upstreamArrayIndex: upstreamArrayIndex)
        case .index(let indexes):
            guard case .array(let array) = try checkArrayModel(i, model) else { return }
            for index in indexes { try handleArrayIndex(i, index, array) }
        case .slice(let from, let to):
            guard case .array(let array) = try checkArrayModel(i, model) else { return }
            try evaluateSlice(i, from: from, to: to, array)
        case .wildcard:
            switch model {
            case .object(let object):
                for member in object.members {
                    try handleObjectProperty(i, member.key, member.value, upstreamArrayIndex: upstreamArrayIndex)
                }
            case .array(let array):
                for index in array.indices {
                    do {
                        try handleArrayIndex(i, index, array)
                    } catch where error.kind == .pathNotFound && !requireProperties {
                        continue
                    }
                }
            default:
                break
            }
        case .scan:
            try walk(i, model)
        case .filter(let filter):
            switch model {
            case .object:
                if try accepts(filter, model) { try emit(i, model) }
            case .array(let array):
                for (index, element) in array.enumerated() where try accepts(filter, element) {
                    try handleArrayIndex(i, index, array)
                }
            default:
                if isUpstreamDefinite(i) {
                    throw .invalid("Filter: [?] can not be applied to primitives. Current context is: \(model.compactString)")
                }
            }
        case .function(let name, let arguments):
            let result = try PathFunctions.invoke(name, on: model, arguments: arguments, root: root)
            try emit(i, result)
        }
    }

    // MARK: Properties

    private mutating func evaluateProperty(_ i: Int, _ names: [String], _ model: JSONValue, upstreamArrayIndex: Int) throws(JSONPathError) {
        guard case .object(let object) = model else {
            if !isUpstreamDefinite(i) { return }
            throw .notFound(
                "Expected to find an object with property \(tokens[i].fragment) in path \(currentPath(i)) but found '\(javaClassName(model))'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.")
        }
        if names.count == 1 {
            let value = object[names[0]]
            if let value {
                try handleObjectProperty(i, names[0], value, upstreamArrayIndex: upstreamArrayIndex)
            } else {
                try missingProperty(i, names[0])
            }
        } else if isLeaf(i) {
            var merged = JSONObject()
            for name in names {
                if let value = object[name] {
                    merged[name] = value
                } else if requireProperties {
                    throw .notFound("Missing property in path \(currentPath(i))[\(names.map { "'\($0)'" }.joined(separator: ", "))]")
                }
            }
            results.append(.object(merged))
        } else {
            for name in names {
                if let value = object[name] {
                    try handleObjectProperty(i, name, value, upstreamArrayIndex: upstreamArrayIndex)
                } else {
                    try missingProperty(i, name)
                }
            }
        }
    }

    private mutating func handleObjectProperty(_ i: Int, _ name: String, _ value: JSONValue, upstreamArrayIndex: Int) throws(JSONPathError) {
        if isLeaf(i) {
            // Jayway quirk: after `..[n]`, a leaf name keeps only the n-th element's match.
            if upstreamArrayIndex == -1 || (i > 0 && tokens[i - 1].fragment == "[\(upstreamArrayIndex)]") {
                results.append(value)
            }
        } else {
            try evaluate(i + 1, value)
        }
    }

    private func missingProperty(_ i: Int, _ name: String) throws(JSONPathError) {
        let evalPath = currentPath(i) + "['\(name)']"
        if isLeaf(i) {
            if requireProperties { throw .notFound("No results for path: \(evalPath)") }
            return
        }
        if !(isUpstreamDefinite(i) && path.tokenIsDefinite[i]) && !requireProperties { return }
        throw .notFound("Missing property in path \(evalPath)")
    }

    // MARK: Arrays

    /// The model when it is an array; otherwise `nil`, or a failure when the path so far is definite.
    private func checkArrayModel(_ i: Int, _ model: JSONValue) throws(JSONPathError) -> JSONValue? {
        switch model {
        case .array: return model
        case .null:
            if !isUpstreamDefinite(i) { return nil }
            throw .notFound("The path \(currentPath(i)) is null")
        default:
            if !isUpstreamDefinite(i) { return nil }
            throw .notFound("Filter: \(tokens[i].fragment) can only be applied to arrays. Current context is: \(model.compactString)")
        }
    }

    private mutating func handleArrayIndex(_ i: Int, _ index: Int, _ array: [JSONValue]) throws(JSONPathError) {
        let effective = index < 0 ? array.count + index : index
        guard effective >= 0 && effective < array.count else { return }
        try emit(i, array[effective])
    }

    private mutating func evaluateSlice(_ i: Int, from: Int?, to: Int?, _ array: [JSONValue]) throws(JSONPathError) {
        let length = array.count
        switch (from, to) {
        case (let from?, nil):
            var start = from < 0 ? length + from : from
            start = max(0, start)
            guard length > 0, start < length else { return }
            for index in start..<length { try handleArrayIndex(i, index, array) }
        case (let from?, let to?):
            // Jayway does not resolve a negative start here; handleArrayIndex does, one by one.
            let end = min(length, to)
            guard from < end, length > 0 else { return }
            for index in from..<end { try handleArrayIndex(i, index, array) }
        case (nil, let to?):
            guard length > 0 else { return }
            var end = to < 0 ? length + to : to
            end = min(length, end)
            guard end > 0 else { return }
            for index in 0..<end { try handleArrayIndex(i, index, array) }
        case (nil, nil):
            return
        }
    }

    // MARK: Deep scan

    /// Jayway's `ScanPathToken.walk`: offers every node of `model` to the token after the scan.
    private mutating func walk(_ scan: Int, _ model: JSONValue) throws(JSONPathError) {
        let next = scan + 1
        switch model {
        case .object(let object):
            if try scanMatches(next, model) { try evaluate(next, model) }
            for member in object.members { try walk(scan, member.value) }
        case .array(let array):
            if try scanMatches(next, model) {
                if isLeaf(next) {
                    try evaluate(next, model)
                } else {
                    // Jayway quirk: the token after the scan is skipped and the one after it
                    // applied to every element, remembering the element's index.
                    for (index, element) in array.enumerated() {
                        try evaluate(next + 1, element, upstreamArrayIndex: index)
                    }
                }
            }
            for element in array { try walk(scan, element) }
        default:
            break
        }
    }

    private func scanMatches(_ i: Int, _ model: JSONValue) throws(JSONPathError) -> Bool {
        switch tokens[i] {
        case .property(let names):
            guard case .object(let object) = model else { return false }
            if !path.tokenIsDefinite[i] { return true }
            return names.allSatisfy { object.contains($0) }
        case .index, .slice:
            if case .array = model { return true }
            return false
        case .wildcard:
            return true
        case .filter(let filter):
            return try accepts(filter, model)
        case .scan, .function:
            return false
        }
    }

    private func accepts(_ filter: FilterExpression, _ item: JSONValue) throws(JSONPathError) -> Bool {
        try FilterEvaluation(root: root).evaluate(filter, item: item)
    }
}

/// The Java class json-smart would hold for `value`, as Jayway names it in messages.
func javaClassName(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool: "java.lang.Boolean"
    case .int(let i): Int32(exactly: i) != nil ? "java.lang.Integer" : "java.lang.Long"
    case .double: "java.lang.Double"
    case .string: "java.lang.String"
    case .array: "net.minidev.json.JSONArray"
    case .object: "net.minidev.json.JSONObject"
    }
}
