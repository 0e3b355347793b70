import JSONCore
import Testing

@testable import JSONata

@Suite struct JSONataTests {
    func eval(_ source: String, _ input: String? = nil, bindings: [String: JSONValue] = [:]) throws -> JSONValue? {
        try JSONataExpression(source).evaluate(input: input.map { try JSONValue(parsing: $0) }, bindings: bindings)
    }

    func errorCode(_ source: String, _ input: String? = nil) -> String? {
        do {
            _ = try eval(source, input)
            return nil
        } catch let error as JSONataError {
            return error.code
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func pathsFlattenAndCollapse() throws {
        let order = #"{"items":[{"price":2,"qty":3},{"price":5,"qty":1}],"tags":["a"]}"#
        #expect(try eval("$sum(items.(price * qty))", order) == .int(11))
        #expect(try eval("items[price > 3].qty", order) == .int(1))
        #expect(try eval("tags", order) == .array([.string("a")]))
        #expect(try eval("items.price[]", order) == .array([.int(2), .int(5)]))
        #expect(try eval("missing", order) == nil)
    }

    @Test func malformedExpressionsReportThePosition() {
        for (source, code, position) in [("items[", "S0203", 6), ("a + ]", "S0211", 4), ("'open", "S0101", 5), ("$x := ", "S0207", 6)] {
            do {
                _ = try JSONataExpression(source)
                Issue.record("\(source) parsed")
            } catch {
                #expect(error.code == code, "\(source)")
                #expect(error.position == position, "\(source)")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func errorsCarryJSONatasMessages() {
        do {
            _ = try eval(#""a" + 1"#)
            Issue.record("no error")
        } catch let error as JSONataError {
            #expect(error.code == "T2001")
            #expect(error.token == "+")
            #expect(error.message == #"The left side of the "+" operator must evaluate to a number"#)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func operatorsAWSDoesNotAcceptAreRejected() {
        #expect(errorCode("$x ?? 1") != nil)
        #expect(errorCode("$x ?: 1") != nil)
    }

    @Test func evalIsNotAvailableAsOnAWS() throws {
        #expect(errorCode("$eval('1 + 1')") == "T1006")
        let plain = try JSONataExpression("$eval('1 + 1')").evaluate(input: nil, options: .init(allowsEval: true))
        #expect(plain == .int(2))
    }

    @Test func stepFunctionsAdditions() throws {
        #expect(try eval("$partition([1,2,3,4,5], 2)") == (try JSONValue(parsing: "[[1,2],[3,4],[5]]")))
        #expect(try eval("$range(0, 6, 2)") == (try JSONValue(parsing: "[0,2,4,6]")))
        #expect(try eval("$range(5, 1, -2)") == (try JSONValue(parsing: "[5,3,1]")))
        #expect(try eval(#"$hash("input", "SHA-1")"#) == .string("140f86aae51ab9e1cda9b4254fe98a74eb54c1a1"))
        #expect(try eval("$random(42)") == .double(0.7275636800328681))
        #expect(try eval(#"$parse('{"a": [1, 2]}').a[1]"#) == .int(2))
        let uuid = try #require(try eval("$uuid()")?.stringValue)
        #expect(uuid.count == 36 && uuid.split(separator: "-").count == 5)
        let random = try #require(try eval("$random()")?.doubleValue)
        #expect(random >= 0 && random < 1)
    }

    @Test func bindingsAndTheRootVariable() throws {
        let result = try eval("$states.input.x + $$.y", #"{"y": 2}"#, bindings: ["states": try JSONValue(parsing: #"{"input":{"x":40}}"#)])
        #expect(result == .int(42))
    }

    @Test func infinityCannotBeAResult() {
        #expect(errorCode("1/0") == "D1001")
        #expect(errorCode("$string(1/0)") == "D3001")
    }

    @Test func timestampsAreFixedForOneEvaluation() throws {
        let options = JSONataExpression.Options(timestamp: 1_521_801_216_617)
        let result = try JSONataExpression("[$millis(), $now()]").evaluate(input: nil, options: options)
        #expect(result == (try JSONValue(parsing: #"[1521801216617, "2018-03-23T10:33:36.617Z"]"#)))
    }
}

extension JSONValue {
    fileprivate var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
