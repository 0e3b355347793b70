import ASLErrors
import Foundation
import ASLModel
import JSONCore
import JSONata
import PayloadTemplates

/// The JSONata data flow of a state visit: `Arguments → (work) → Output`, `Assign`, with
/// `$states` (`input`, `context`, and `result` or `errorOutput` where AWS allows them) and the
/// workflow's variables as of state entry.
extension DataFlow {
    /// The bindings every expression of this visit sees: the variables and `$states`.
    func jsonataBindings(input: JSONValue) -> JSONataBindings {
        var bindings = JSONataBindings()
        for member in variables.members { bindings.bind(member.key, member.value) }
        bindings.bind("states", members: [("input", input), ("context", context)])
        return bindings
    }

    func queryFailure(_ error: JSONataFieldError) -> ExecutionFailure {
        var failure = ExecutionFailure(.queryEvaluationError, cause: runtimeCause(error.cause))
        failure.evaluationLocation = error.field
        return failure
    }

    func queryFailure(_ detail: String, field: String) -> ExecutionFailure {
        var failure = ExecutionFailure(.queryEvaluationError, cause: runtimeCause(detail))
        failure.evaluationLocation = field
        return failure
    }

    /// A JSONata template field's value.
    func jsonata(_ template: JSONValue, field: String, _ bindings: JSONataBindings) throws(ExecutionFailure) -> JSONValue {
        do { return try JSONataTemplate.evaluate(template, bindings: bindings, field: field) } catch { throw queryFailure(error) }
    }

    /// A field that must hold one type (`Items`: an array; a Choice `Condition`: a boolean).
    func jsonata(_ template: JSONValue, field: String, expecting type: String, _ bindings: JSONataBindings) throws(ExecutionFailure) -> JSONValue {
        let value = try jsonata(template, field: field, bindings)
        if value.typeName != type, case .string(let text) = template, let expression = JSONataTemplate.expressionText(text) {
            throw queryFailure(JSONataFieldError(expression: expression, field: field, problem: .unexpectedType(expected: type, value: value)))
        }
        return value
    }

    /// JSONata `Assign`: an object of templates (or one expression giving an object).
    func jsonataAssignments(_ assign: JSONValue?, _ bindings: JSONataBindings) throws(ExecutionFailure) -> JSONObject? {
        guard let assign else { return nil }
        let value = try jsonata(assign, field: "Assign", expecting: "object", bindings)
        return value.objectValue
    }

    /// `Output` (default: `fallback`) and `Assign`, both reading the variables as of entry.
    func jsonataFinish(output fallback: JSONValue, outputTemplate: JSONValue?, assign: JSONValue?, _ bindings: JSONataBindings) throws(ExecutionFailure) -> (
        JSONValue, JSONObject?
    ) {
        let assigned = try jsonataAssignments(assign, bindings)
        let output = try outputTemplate.map { template throws(ExecutionFailure) in try jsonata(template, field: "Output", bindings) } ?? fallback
        return (output, assigned)
    }

    /// A template field of either language: JSONata (`Arguments`, `BatchInput`...) or a JSONPath
    /// payload template (`Parameters`, ...).
    func template(_ raw: JSONValue, field: String, input: JSONValue, pathFailure: ErrorName) throws(ExecutionFailure) -> JSONValue {
        if state.queryLanguage == .jsonata { return try jsonata(raw, field: field, jsonataBindings(input: input)) }
        let compiled: PayloadTemplate
        do { compiled = try PayloadTemplate(raw, location: state.path + "/" + field) } catch {
            throw runtime("Invalid \(field.replacingOccurrences(of: "/", with: " ")): \(error)")
        }
        return try evaluate(compiled, input: input, pathFailure: pathFailure)
    }

    /// A numeric field written as an expression (`TimeoutSeconds`, `Seconds`, `MaxConcurrency`...).
    func jsonataInteger(_ text: String, field: String, _ bindings: JSONataBindings) throws(ExecutionFailure) -> Int {
        let value = try jsonata(.string(text), field: field, bindings)
        guard let n = value.integerValue, let int = Int(exactly: n) else {
            let expression = JSONataTemplate.expressionText(text) ?? text
            throw queryFailure(JSONataFieldError(expression: expression, field: field, problem: .unexpectedType(expected: "integer", value: value)))
        }
        return int
    }

    /// A string field written as an expression (a Fail state's `Error` and `Cause`).
    func jsonataString(_ text: String, field: String, _ bindings: JSONataBindings) throws(ExecutionFailure) -> String {
        let value = try jsonata(.string(text), field: field, bindings)
        guard case .string(let string) = value else {
            let expression = JSONataTemplate.expressionText(text) ?? text
            throw queryFailure(JSONataFieldError(expression: expression, field: field, problem: .unexpectedType(expected: "string", value: value)))
        }
        return string
    }

    /// A JSONata `ItemSelector` for one item, with `$states.context.Map.Item`; `bindings` are
    /// the state's (its input converted once for all the items).
    func jsonataItemSelector(
        _ selector: JSONValue, item: JSONValue, index: Int, source: String? = nil, bindings: JSONataBindings
    ) throws(ExecutionFailure) -> JSONValue {
        var context = self.context.objectValue ?? JSONObject()
        var mapItem: JSONObject = ["Index": .int(Int64(index)), "Value": item]
        if let source { mapItem["Source"] = .string(source) }
        context["Map"] = ["Item": .object(mapItem)]
        return try jsonata(selector, field: "ItemSelector", bindings.adding("context", .object(context), to: "states"))
    }
}
