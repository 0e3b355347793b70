import ASLErrors
import JSONCore
import PathExpressions
import PayloadTemplates
import Testing

@Suite struct PayloadTemplateTests {
    let scope = DataScope(
        input: ["order": ["id": "o-1", "lines": [["sku": "a", "qty": 2], ["sku": "b", "qty": 5]]]],
        context: ["Execution": ["Name": "exec-1"], "Map": ["Item": ["Index": 0, "Value": "x"]]],
        variables: ["threshold": 3])

    @Test func buildsNestedPayloads() throws {
        let template: JSONValue = [
            "id.$": "$.order.id",
            "big.$": "$.order.lines[?(@.qty > 3)].sku",
            "execution.$": "$$.Execution.Name",
            "limit.$": "$threshold",
            "label.$": "States.Format('{}#{}', $.order.id, $$.Map.Item.Index)",
            "literal": ["keep": "$.not.a.path", "nested": [["deep.$": "$.order.lines[0].qty"], 7]],
        ]
        let output = try PayloadTemplate(template).evaluate(in: scope)
        #expect(output.compactString == #"{"id":"o-1","big":["b"],"execution":"exec-1","limit":3,"label":"o-1#0","literal":{"keep":"$.not.a.path","nested":[{"deep":2},7]}}"#)
    }

    @Test func missingPathFailsWithAWSCause() throws {
        let template = try PayloadTemplate(["value.$": "$$.Execution.Input.no_such_jsonpath"])
        #expect(throws: ExecutionFailure(.parameterPathFailure, cause: #"The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"order":{"id":"o-1","lines":[{"sku":"a","qty":2},{"sku":"b","qty":5}]}}'"#)) {
            try template.evaluate(in: scope)
        }
        // A Pass state's Parameters was recorded on AWS with States.Runtime.
        #expect(throws: ExecutionFailure.self) { try template.evaluate(in: scope, pathFailure: .runtime) }
        do { _ = try template.evaluate(in: scope, pathFailure: .runtime) } catch { #expect(error.error == .runtime) }
    }

    @Test func intrinsicFailuresPassThrough() throws {
        let template = try PayloadTemplate(["r.$": "States.ArrayGetItem($.order.lines, 9)", "s.$": "States.Format('{}', $.nope)"])
        do {
            _ = try template.evaluate(in: scope)
            Issue.record("expected a failure")
        } catch {
            #expect(error.error == .intrinsicFailure)
            #expect(error.cause == "Invalid arguments in States.ArrayGetItem: the index 9 is out of bounds for an array of 2 elements")
        }
        let pathInCall = try PayloadTemplate(["s.$": "States.Format('{}', $.nope)"])
        #expect(throws: ExecutionFailure(.parameterPathFailure, cause: #"The JSONPath '$.nope' specified for the field 's.$' could not be found in the input '{"order":{"id":"o-1","lines":[{"sku":"a","qty":2},{"sku":"b","qty":5}]}}'"#)) {
            try pathInCall.evaluate(in: scope)
        }
    }

    /// Every problem in a template is reported with its location, not just the first.
    @Test func reportsEveryProblemWithItsLocation() {
        let template: JSONValue = [
            "a.$": 3,
            "b.$": "not a path",
            "c": ["d.$": "$.x[", "e": [["f.$": "States.Nope()"]]],
            "g": 1, "g.$": "$.g",
        ]
        #expect(throws: TemplateProblems.self) { try PayloadTemplate(template, location: "/States/S/Parameters") }
        do {
            _ = try PayloadTemplate(template, location: "/States/S/Parameters")
        } catch {
            #expect(error.problems.map(\.location) == [
                "/States/S/Parameters/a.$", "/States/S/Parameters/b.$", "/States/S/Parameters/c/d.$",
                "/States/S/Parameters/c/e/0/f.$", "/States/S/Parameters/g.$",
            ])
            #expect(error.problems[0].message == "the value of a field ending in \".$\" must be a string holding a path or an intrinsic function, not number")
            #expect(error.problems[3].message == "The value for the field 'f.$' must be a valid JSONPath or a valid intrinsic function call (States.Nope(): at character 1: unknown intrinsic function 'States.Nope')")
        }
    }

    /// Recorded on AWS: CreateStateMachine rejects these with "The value for the field 'parsed.$'
    /// must be a valid JSONPath or a valid intrinsic function call at /States/IntrinsicEscape/Parameters".
    @Test(arguments: [
        #"States.StringToJson('{"text":"An \"escaped double quote\" here"}')"#,
        #"States.Format('He said, \"Hello, {}!\"', 'Test \"Name\" Here')"#,
    ])
    func illegalEscapesInIntrinsicStringsAreRejected(call: String) {
        #expect(throws: TemplateProblems.self) { try PayloadTemplate(["parsed.$": .string(call)]) }
    }
}
