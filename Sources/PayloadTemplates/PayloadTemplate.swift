import ASLErrors
import IntrinsicFunctions
import JSONCore
import PathExpressions

/// A payload template (`Parameters`, `ItemSelector`, `ResultSelector`, JSONPath `Assign`): a
/// JSON value whose object keys ending in `.$` take their value from a path (`$...`), the
/// context object (`$$...`), a variable (`$name`) or an intrinsic function call; every other
/// value is copied as it is.
///
/// The template is compiled once, when the definition is loaded, so paths and calls are parsed
/// (and their syntax checked) before any execution starts.
public struct PayloadTemplate: Sendable {
    indirect enum Node: Sendable {
        case literal(JSONValue)
        case object([(key: String, node: Node)])
        case array([Node])
        case path(field: String, Selector)
        case intrinsic(field: String, IntrinsicCall)
    }

    let root: Node

    /// Compiles `template`. `location` is the template's JSON Pointer in the definition (e.g.
    /// `/States/Fetch/Parameters`); problems name the field's own pointer beneath it. Every
    /// problem is reported, not just the first.
    public init(_ template: JSONValue, location: String = "/Parameters") throws(TemplateProblems) {
        var problems: [TemplateProblem] = []
        root = Self.compile(template, at: location, problems: &problems)
        if !problems.isEmpty { throw TemplateProblems(problems: problems) }
    }

    private static func compile(_ value: JSONValue, at location: String, problems: inout [TemplateProblem]) -> Node {
        switch value {
        case .object(let object):
            var members: [(key: String, node: Node)] = []
            var outputKeys = Set<String>()
            for member in object.members {
                let here = location + "/" + JSONPointer.escape(member.key)
                let isDynamic = member.key.hasSuffix(".$")
                let key = isDynamic ? String(member.key.dropLast(2)) : member.key
                if !outputKeys.insert(key).inserted {
                    problems.append(TemplateProblem(location: here, message: "the field \"\(key)\" is given more than once (with and without \".$\")"))
                }
                guard isDynamic else {
                    members.append((key, compile(member.value, at: here, problems: &problems)))
                    continue
                }
                guard case .string(let expression) = member.value else {
                    problems.append(TemplateProblem(location: here, message: "the value of a field ending in \".$\" must be a string holding a path or an intrinsic function, not \(member.value.typeName)"))
                    continue
                }
                if let node = compileExpression(expression, field: member.key, at: here, problems: &problems) {
                    members.append((key, node))
                }
            }
            return .object(members)
        case .array(let elements):
            return .array(elements.enumerated().map { compile($1, at: "\(location)/\($0)", problems: &problems) })
        default:
            return .literal(value)
        }
    }

    private static func compileExpression(_ expression: String, field: String, at location: String, problems: inout [TemplateProblem]) -> Node? {
        if IntrinsicCall.looksLikeCall(expression) {
            do {
                return .intrinsic(field: field, try IntrinsicCall(parsing: expression))
            } catch {
                problems.append(TemplateProblem(location: location, message: "The value for the field '\(field)' must be a valid JSONPath or a valid intrinsic function call (\(expression): \(error))"))
                return nil
            }
        }
        guard expression.hasPrefix("$") else {
            problems.append(TemplateProblem(location: location, message: "The value for the field '\(field)' must be a valid JSONPath or a valid intrinsic function call (\"\(expression)\" starts with neither '$' nor 'States.')"))
            return nil
        }
        do {
            return .path(field: field, try Selector(expression))
        } catch {
            problems.append(TemplateProblem(location: location, message: "The value for the field '\(field)' must be a valid JSONPath or a valid intrinsic function call (\(expression): \(error.message))"))
            return nil
        }
    }

    /// Builds the payload from `scope`.
    ///
    /// A path that selects nothing fails with `pathFailure` (AWS raises
    /// `States.ParameterPathFailure`; a Pass state's `Parameters` was recorded raising
    /// `States.Runtime`) and AWS's cause: `The JSONPath '$.x' specified for the field 'x.$'
    /// could not be found in the input '{...}'`.
    public func evaluate(in scope: DataScope, pathFailure: ErrorName = .parameterPathFailure) throws(ExecutionFailure) -> JSONValue {
        try Self.evaluate(root, in: scope, pathFailure: pathFailure)
    }

    private static func evaluate(_ node: Node, in scope: DataScope, pathFailure: ErrorName) throws(ExecutionFailure) -> JSONValue {
        switch node {
        case .literal(let value):
            return value
        case .object(let members):
            var object = JSONObject()
            for member in members {
                object[member.key] = try evaluate(member.node, in: scope, pathFailure: pathFailure)
            }
            return .object(object)
        case .array(let nodes):
            var elements: [JSONValue] = []
            elements.reserveCapacity(nodes.count)
            for node in nodes { elements.append(try evaluate(node, in: scope, pathFailure: pathFailure)) }
            return .array(elements)
        case .path(let field, let selector):
            do {
                return try selector.select(in: scope)
            } catch {
                throw pathFailureCause(selector, error, field: field, scope: scope, name: pathFailure)
            }
        case .intrinsic(let field, let call):
            do {
                return try call.evaluate(in: scope)
            } catch {
                switch error {
                case .failed(let failure): throw failure
                case .pathFailed(let selector, let pathError):
                    throw pathFailureCause(selector, pathError, field: field, scope: scope, name: pathFailure)
                }
            }
        }
    }

    static func pathFailureCause(_ selector: Selector, _ error: JSONPathError, field: String, scope: DataScope, name: ErrorName) -> ExecutionFailure {
        if error.kind == .pathNotFound {
            return ExecutionFailure(name, cause: "The JSONPath '\(selector.text)' specified for the field '\(field)' could not be found in the input '\(scope.input.compactString)'")
        }
        return ExecutionFailure(name, cause: "Invalid path '\(selector.text)' : \(error.message)")
    }
}

/// One problem in a payload template, with where it is.
public struct TemplateProblem: Sendable, Equatable, CustomStringConvertible {
    public var location: String
    public var message: String
    public var description: String { "\(location): \(message)" }
}

/// Every problem found while compiling a template.
public struct TemplateProblems: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [TemplateProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
