import JSONCore
import Yams

/// Reads a YAML definition into JSON, keeping mapping order (Step Functions definitions are
/// often written in YAML for CloudFormation and SAM).
enum YAMLDefinition {
    struct Problem: Error {
        var message: String
    }

    static func parse(_ text: String) throws(Problem) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Problem(message: "The definition is neither valid JSON nor valid YAML: \(error)")
        }
        guard let node else { throw Problem(message: "The definition is empty") }
        return try convert(node)
    }

    private static func convert(_ node: Node) throws(Problem) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            // Plain scalars follow YAML's core schema; quoted ones are strings.
            if scalar.style == .plain {
                if node.null != nil { return .null }
                if let b = node.bool { return .bool(b) }
                if let i = node.int { return .int(Int64(i)) }
                if let d = node.float, d.isFinite { return .double(d) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            for element in sequence { elements.append(try convert(element)) }
            return .array(elements)
        case .mapping(let mapping):
            var object = JSONObject()
            for (key, value) in mapping {
                guard let name = key.string else { throw Problem(message: "A YAML mapping key must be a string") }
                object[name] = try convert(value)
            }
            return .object(object)
        case .alias:
            throw Problem(message: "YAML aliases are not supported in definitions")
        }
    }
}
