import Foundation
import JSONCore
import JSONata
import Synchronization

/// JSONata in ASL: a JSON value in which every string written `{% expression %}` is an
/// expression (at any depth), evaluated against `$states` and the workflow's variables.
public enum JSONataTemplate {
    /// The expression inside `{% ... %}` (trimmed), or nil when `text` is a plain string.
    public static func expressionText(_ text: String) -> String? {
        guard text.hasPrefix("{%"), text.hasSuffix("%}"), text.count >= 4 else { return nil }
        return text.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static let cache = Mutex<[String: JSONataExpression]>([:])

    /// The compiled expression for `text`, parsed once per process.
    public static func compile(_ text: String) throws(JSONataError) -> JSONataExpression {
        if let cached = cache.withLock({ $0[text] }) { return cached }
        let compiled = try JSONataExpression(text)
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[text] = compiled
        }
        return compiled
    }

    /// Every expression in `value` that does not parse, with where it is (a JSON Pointer below
    /// `path`).
    public static func syntaxErrors(in value: JSONValue, at path: String) -> [(path: String, expression: String, error: JSONataError)] {
        var found: [(String, String, JSONataError)] = []
        func walk(_ value: JSONValue, _ path: String) {
            switch value {
            case .string(let text):
                guard let expression = expressionText(text) else { return }
                do { _ = try compile(expression) } catch { found.append((path, expression, error)) }
            case .array(let items):
                for (i, item) in items.enumerated() { walk(item, path + "/\(i)") }
            case .object(let object):
                for member in object.members { walk(member.value, path + "/" + member.key) }
            default:
                break
            }
        }
        walk(value, path)
        return found
    }

    /// Evaluates `template`: each expression string replaced by its value. `field` names the
    /// ASL field (`Output`, `Arguments`...); nested places extend it (`Output/result`).
    public static func evaluate(_ template: JSONValue, bindings: JSONataBindings, field: String) throws(JSONataFieldError) -> JSONValue {
        switch template {
        case .string(let text):
            guard let expression = expressionText(text) else { return template }
            return try evaluate(expression: expression, bindings: bindings, field: field)
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try evaluate(item, bindings: bindings, field: field + "/\(i)")) }
            return .array(out)
        case .object(let object):
            var out = JSONObject()
            for member in object.members {
                out[member.key] = try evaluate(member.value, bindings: bindings, field: field + "/" + member.key)
            }
            return .object(out)
        default:
            return template
        }
    }

    /// One expression's value; undefined is an error, as in ASL.
    public static func evaluate(expression: String, bindings: JSONataBindings, field: String) throws(JSONataFieldError) -> JSONValue {
        let compiled: JSONataExpression
        do { compiled = try compile(expression) } catch {
            throw JSONataFieldError(expression: expression, field: field, problem: .failed(error))
        }
        let value: JSONValue?
        do { value = try compiled.evaluate(input: nil, bindings: bindings) } catch {
            throw JSONataFieldError(expression: expression, field: field, problem: .failed(error))
        }
        guard let value else { throw JSONataFieldError(expression: expression, field: field, problem: .undefined) }
        return value
    }
}

/// Why a JSONata field of a state could not be evaluated; `cause` is AWS's text for it.
public struct JSONataFieldError: Error, Sendable {
    public enum Problem: Sendable {
        case undefined
        case failed(JSONataError)
        case unexpectedType(expected: String, value: JSONValue)
    }

    public var expression: String
    public var field: String
    public var problem: Problem

    public init(expression: String, field: String, problem: Problem) {
        self.expression = expression
        self.field = field
        self.problem = problem
    }

    public var cause: String {
        let start = "The JSONata expression '\(expression)' specified for the field '\(field)'"
        switch problem {
        case .undefined:
            return start + " returned nothing (undefined)."
        case .failed(let error):
            return start + " threw an error during evaluation. \(error.code): \(error.message)"
        case .unexpectedType(let expected, let value):
            return start + " returned an unexpected result type. Expected '\(expected)', but was '\(value.typeName)' for value: \(value.compactString)"
        }
    }
}
