import ASLErrors
import ASLModel
import Foundation
import Interpreter
import JSONCore
import Testing

/// States that use JSONata: `Arguments`, `Output`, `Assign` with `$states`, variables read as of
/// state entry, Catch with `$states.errorOutput`, Maps with `Items` and `ItemSelector`, and
/// `States.QueryEvaluationError` with its `EvaluationFailed` event.
@Suite struct JSONataModeTests {
    @Test func taskArgumentsOutputAndAssign() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "T", "States": {
              "T": {"Type": "Task", "Resource": "\(lambda)",
                    "Arguments": {"total": "{% $sum($states.input.items.(price * qty)) %}", "who": "{% $states.context.State.Name %}"},
                    "Assign": {"charged": "{% $states.result.total %}"},
                    "Output": {"charged": "{% $states.result.total %}", "items": "{% $count($states.input.items) %}"},
                    "Next": "P"},
              "P": {"Type": "Pass", "Output": "{% $charged & ' charged' %}", "End": true}}}
            """)
        let invoker = ScriptedInvoker([:])
        let outcome = await Interpreter(invoker: invoker, clock: ManualClock()).run(
            definition, input: ["items": [["price": 2, "qty": 3], ["price": 1.5, "qty": 2]]])
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(invoker.requests.first?.payload == ["total": 9, "who": "T"])
        #expect(outcome.output == "9 charged")
    }

    @Test func variablesAreReadAsOfStateEntry() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
              "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
              "Swap": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}"}, "Output": {"a": "{% $a %}"}, "Next": "Show"},
              "Show": {"Type": "Pass", "Output": {"a": "{% $a %}", "b": "{% $b %}"}, "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: [:])
        #expect(outcome.output == ["a": 2, "b": 1])
        let swapExited = outcome.events.first { $0.type == "PassStateExited" && $0.stateName == "Swap" }
        #expect(swapExited?.payload("output") == ["a": 1])
    }

    @Test func catcherOutputGetsTheErrorOutput() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "T", "States": {
              "T": {"Type": "Task", "Resource": "\(lambda)",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"failedWith": "{% $states.errorOutput.Error %}"},
                               "Output": {"in": "{% $states.input.id %}", "why": "{% $states.errorOutput.Cause %}"}, "Next": "After"}],
                    "End": true},
              "After": {"Type": "Pass", "Output": "{% $merge([$states.input, {'error': $failedWith}]) %}", "End": true}}}
            """)
        let invoker = ScriptedInvoker([lambda: [.fail("Boom", "it broke")]])
        let outcome = await Interpreter(invoker: invoker, clock: ManualClock()).run(definition, input: ["id": 7])
        #expect(outcome.output == ["in": 7, "why": "it broke", "error": "Boom"])
    }

    @Test func undefinedResultIsAQueryEvaluationErrorThatCatchSees() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
              "P": {"Type": "Pass", "Output": {"x": "{% $states.input.missing %}"}, "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: [:])
        #expect(outcome.status == .failed)
        #expect(outcome.error == "States.QueryEvaluationError")
        #expect(
            outcome.cause
                == "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/x' returned nothing (undefined).")
        let event = try #require(outcome.events.first { $0.type == "EvaluationFailed" })
        #expect(event.details?["location"] == "Output/x")
        #expect(event.details?["state"] == "P")
        #expect(outcome.events.map(\.type) == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"])

        let caught = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "M", "States": {
              "M": {"Type": "Map", "Items": "{% [1, 0] %}",
                    "ItemProcessor": {"StartAt": "Div", "States": {"Div": {"Type": "Pass", "Output": "{% 1 / $states.input %}", "End": true}}},
                    "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Done"}], "End": true},
              "Done": {"Type": "Succeed"}}}
            """)
        let second = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(caught, input: [:])
        #expect(second.status == .succeeded)
        #expect(second.output?["Error"] == "States.QueryEvaluationError")
        #expect(second.output?["Cause"]?.stringValue?.contains("threw an error during evaluation. D1001: Number out of range") == true)
        // One EvaluationFailed, where it happened, not again at the Map.
        #expect(second.events.filter { $0.type == "EvaluationFailed" }.count == 1)
    }

    @Test func mapItemsAndItemSelector() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "M", "States": {
              "M": {"Type": "Map", "Items": "{% $states.input.orders[status = 'open'] %}",
                    "ItemSelector": {"id": "{% $states.context.Map.Item.Value.id %}", "position": "{% $states.context.Map.Item.Index %}", "tax": "{% $states.input.tax %}"},
                    "ItemProcessor": {"StartAt": "Price", "States": {"Price": {"Type": "Pass", "Output": "{% $states.input.id & '@' & $string($states.input.position) %}", "End": true}}},
                    "Output": {"done": "{% $states.result %}"}, "End": true}}}
            """)
        let input: JSONValue = ["tax": 0.2, "orders": [["id": "a", "status": "open"], ["id": "b", "status": "closed"], ["id": "c", "status": "open"]]]
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: input)
        #expect(outcome.output == ["done": ["a@0", "c@1"]])
    }

    @Test func variablesHaveAWSSizeLimits() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "Big", "States": {
              "Big": {"Type": "Pass", "Assign": {"blob": "{% $pad('', 300000, 'x') %}"}, "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: [:])
        #expect(outcome.error == "States.DataLimitExceeded")
        #expect(outcome.cause?.hasSuffix("The value of the variable 'blob' is 300002 bytes, more than the limit of 262144 bytes") == true)
    }

    @Test func distributedMapWithJSONata() async throws {
        let definition = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "Outer", "States": {
              "Outer": {"Type": "Pass", "Assign": {"secret": 42}, "Next": "M"},
              "M": {"Type": "Map", "Items": "{% $states.input.values %}", "MaxConcurrency": "{% 1 + 1 %}",
                    "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}",
                                     "from": "{% $states.context.Map.Item.Source %}"},
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                      "StartAt": "Double", "States": {"Double": {"Type": "Pass", "Output": "{% $states.input.v * 2 + $states.input.i %}", "End": true}}},
                    "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: ["values": [10, 20, 30]])
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(outcome.output == [20, 41, 62])

        // Children see no outer variables: $secret is undefined there.
        let isolated = try machine("""
            {"QueryLanguage": "JSONata", "StartAt": "Outer", "States": {
              "Outer": {"Type": "Pass", "Assign": {"secret": 42}, "Next": "M"},
              "M": {"Type": "Map", "Items": "{% [1] %}",
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                      "StartAt": "Peek", "States": {"Peek": {"Type": "Pass", "Output": "{% $secret %}", "End": true}}},
                    "End": true}}}
            """)
        let second = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(isolated, input: [:])
        #expect(second.status == .failed)
        #expect(second.error == "States.ExceedToleratedFailureThreshold")
    }

    @Test func mixedLanguagesInOneMachine() async throws {
        let definition = try machine("""
            {"StartAt": "Path", "States": {
              "Path": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "ResultPath": "$.copied", "Next": "Nata"},
              "Nata": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.copied.n * 2 %}", "End": true}}}
            """)
        let outcome = await Interpreter(invoker: ScriptedInvoker([:]), clock: ManualClock()).run(definition, input: ["n": 21])
        #expect(outcome.output == 42)
    }

    @Test func definitionsWithBrokenExpressionsAreRejectedWithThePlace() {
        let (_, problems) = DefinitionDecoder.decode(
            text: """
                {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
                  "P": {"Type": "Pass", "Output": {"list": ["ok", "{% $sum($states.input.xs %}"]}, "End": true}}}
                """)
        #expect(problems.map(\.description).contains { $0.hasPrefix("/States/P/Output/list/1: The JSONata expression '$sum($states.input.xs' is not valid: S0203") })
    }
}

@Suite struct VariableRuleTests {
    func problems(_ text: String) -> [String] {
        DefinitionDecoder.decode(text: text).diagnostics.map(\.description)
    }

    @Test func statesIsReservedAndNamesAreShort() {
        let long = String(repeating: "v", count: 81)
        let found = problems("""
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"states": 1, "\(long)": 2, "ok": 3}, "End": true}}}
            """)
        #expect(found.contains { $0.hasPrefix("/States/P/Assign/states: The variable name 'states' is reserved") })
        #expect(found.contains { $0.contains("longer than 80 characters") })
        #expect(found.count == 2)
    }

    @Test func innerScopesMustNotShadow() {
        let found = problems("""
            {"QueryLanguage": "JSONata", "StartAt": "Top", "States": {
              "Top": {"Type": "Pass", "Assign": {"total": 0}, "Next": "Par"},
              "Par": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"total": 1, "own": 2}, "End": true}}},
                {"StartAt": "C", "States": {"C": {"Type": "Pass", "Assign": {"own": 3}, "End": true}}}]}}}
            """)
        #expect(found == ["/States/Par/Branches/0/States/B/Assign/total: The variable 'total' is already assigned in an enclosing scope (at /States/Top/Assign/total); variables cannot be shadowed"])
    }

    @Test func distributedChildrenStartAFreshScope() {
        let found = problems("""
            {"QueryLanguage": "JSONata", "StartAt": "Top", "States": {
              "Top": {"Type": "Pass", "Assign": {"total": 0}, "Next": "M"},
              "M": {"Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"total": 1}, "End": true}}}}}}
            """)
        #expect(found.isEmpty, "\(found)")
    }
}
