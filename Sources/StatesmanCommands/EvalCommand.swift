import ASLErrors
import ArgumentParser
import IntrinsicFunctions
import JSONCore
import JSONata
import PathExpressions
import PayloadTemplates

/// `statesman eval`: the data-flow simulator. Each form evaluates one expression as a state
/// would and prints the result as compact JSON (exit 0), or `{"error": ..., "cause": ...}`
/// (exit 1).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate one expression as a state would.",
        subcommands: [EvalJSONPath.self, EvalJSONata.self, EvalIntrinsic.self, EvalTemplate.self])
}

/// The data an expression sees.
struct EvalScopeOptions: ParsableArguments {
    @Option(name: .long, help: "The state's input: JSON text, or @FILE (@- for standard input).")
    var input: String = "{}"

    @Option(name: .long, help: "The context object ($$): JSON text or @FILE.")
    var context: String = "{}"

    @Option(name: .long, help: "Workflow variables ($name): a JSON object, or @FILE.")
    var vars: String = "{}"

    func scope() throws -> DataScope {
        let variables = try JSONArgument.read(vars, option: "--vars")
        guard case .object(let object) = variables else {
            throw ValidationError("--vars must be a JSON object, but is \(variables.typeName)")
        }
        return DataScope(
            input: try JSONArgument.read(input, option: "--input"),
            context: try JSONArgument.read(context, option: "--context"),
            variables: object)
    }
}

struct EvalJSONPath: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsonpath",
        abstract: "Evaluate a JSONPath ($..., $$... or $variable...) with AWS's (Jayway's) semantics.",
        discussion: """
            A definite path (names and single indexes only) prints the value it selects; an \
            indefinite one (wildcards, .., slices, filters, unions) prints the list of matches.
            Example: statesman eval jsonpath '$.items[?(@.price > 10)].sku' --input @order.json
            """)

    @Argument(help: "The path.") var expression: String
    @OptionGroup var scope: EvalScopeOptions

    func run() throws {
        let scope = try scope.scope()
        let selector: Selector
        do {
            selector = try Selector(expression)
        } catch {
            throw EvalOutcome.failure(ExecutionFailure("InvalidDefinition", cause: "Invalid JSONPath '\(expression)': \(error.message)"))
        }
        do {
            EvalOutcome.printResult(try selector.select(in: scope))
        } catch {
            // As InputPath and OutputPath report it.
            throw EvalOutcome.failure(ExecutionFailure(.runtime, cause: "Invalid path '\(expression)' : \(error.message)"))
        }
    }
}

struct EvalJSONata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jsonata",
        abstract: "Evaluate a JSONata expression as a state using JSONata would (JSONata 2.0.6, AWS's functions, no $eval).",
        discussion: """
            The expression sees $states.input (--input), $states.context (--context) and the \
            variables (--vars) as $name; it may be given bare or as {% ... %}. A result of \
            nothing (undefined) or an evaluation error is a States.QueryEvaluationError, as in a state.
            Example: statesman eval jsonata '$sum($states.input.items.(price * qty))' --input @order.json
            """)

    @Argument(help: "The expression.") var expression: String
    @OptionGroup var scope: EvalScopeOptions
    @Option(help: "The field the expression stands in, for error causes.") var field: String = "Output"

    func run() throws {
        let scope = try scope.scope()
        let text = JSONataTemplate.expressionText(expression) ?? expression
        do {
            _ = try JSONataTemplate.compile(text)
        } catch {
            let at = error.position.map { " at position \($0)" } ?? ""
            throw EvalOutcome.failure(
                ExecutionFailure("InvalidDefinition", cause: "The JSONata expression '\(text)' is not valid: \(error.code)\(at): \(error.message)"))
        }
        var bindings = JSONataBindings()
        for member in scope.variables.members { bindings.bind(member.key, member.value) }
        bindings.bind("states", members: [("input", scope.input), ("context", scope.context)])
        do {
            EvalOutcome.printResult(try JSONataTemplate.evaluate(expression: text, bindings: bindings, field: field))
        } catch {
            throw EvalOutcome.failure(ExecutionFailure(.queryEvaluationError, cause: error.cause))
        }
    }
}

struct EvalIntrinsic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intrinsic",
        abstract: "Evaluate an intrinsic function call such as States.Format('{}!', $.name).",
        discussion: "The call is evaluated as the value of a Parameters field named by --field.")

    @Argument(help: "The call.") var expression: String
    @OptionGroup var scope: EvalScopeOptions
    @Option(help: "The Parameters field the call stands in, for error causes.") var field: String = "value.$"

    func run() throws {
        let scope = try scope.scope()
        let call: IntrinsicCall
        do {
            call = try IntrinsicCall(parsing: expression)
        } catch {
            throw EvalOutcome.failure(ExecutionFailure("InvalidDefinition", cause: "Invalid intrinsic function '\(expression)' \(error)"))
        }
        let key = field.hasSuffix(".$") ? field : field + ".$"
        try EvalTemplate.evaluate(.object([key: .string(call.text)]), location: "/eval", scope: scope) { $0[String(key.dropLast(2))] ?? .null }
    }
}

struct EvalTemplate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Evaluate a payload template (Parameters, ItemSelector, ResultSelector).",
        discussion: "Keys ending in .$ take a path, a context path, a variable or an intrinsic call.")

    @Argument(help: "The template: JSON text or @FILE.") var template: String
    @OptionGroup var scope: EvalScopeOptions

    func run() throws {
        try Self.evaluate(try JSONArgument.read(template, option: "TEMPLATE"), location: "/Parameters", scope: try scope.scope()) { $0 }
    }

    static func evaluate(_ template: JSONValue, location: String, scope: DataScope, result: (JSONValue) -> JSONValue) throws {
        let compiled: PayloadTemplate
        do {
            compiled = try PayloadTemplate(template, location: location)
        } catch {
            throw EvalOutcome.failure(ExecutionFailure("InvalidDefinition", cause: error.description))
        }
        do {
            EvalOutcome.printResult(result(try compiled.evaluate(in: scope)))
        } catch {
            throw EvalOutcome.failure(error)
        }
    }
}

/// How an eval ends: its result on standard output, or the failure as `{"error", "cause"}`.
enum EvalOutcome: Error {
    case failure(ExecutionFailure)

    static func printResult(_ value: JSONValue) {
        print(value.compactString)
    }
}
