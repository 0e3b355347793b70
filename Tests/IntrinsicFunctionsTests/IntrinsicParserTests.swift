import IntrinsicFunctions
import JSONCore
import PropertyBased
import Testing

@Suite struct IntrinsicParserTests {
    @Test func parsesEveryArgumentKind() throws {
        let call = try IntrinsicCall(parsing: "States.Array( 'a\\'b' , -1.5e2, 7, true, false, null, $.a[?(@.b == 'x, y')].c, $$.Execution.Id, $v.w, States.Array())")
        #expect(call.function == .array)
        #expect(call.arguments.count == 10)
        #expect(call.arguments[0] == .string(raw: "a\\'b", value: "a'b"))
        #expect(call.arguments[1] == .literal(.double(-150)))
        #expect(call.arguments[2] == .literal(.int(7)))
        if case .path(let selector) = call.arguments[6] { #expect(selector.text == "$.a[?(@.b == 'x, y')].c") } else { Issue.record("not a path") }
        if case .call(let inner) = call.arguments[9] { #expect(inner.function == .array) } else { Issue.record("not a call") }
    }

    @Test func allowsTenNestedFunctionsButNotEleven() {
        func nested(_ n: Int) -> String { String(repeating: "States.Array(", count: n) + "1" + String(repeating: ")", count: n) }
        #expect(throws: Never.self) { try IntrinsicCall(parsing: nested(10)) }
        #expect(throws: IntrinsicSyntaxError.self) { try IntrinsicCall(parsing: nested(11)) }
    }

    @Test(arguments: [
        ("States.Nope(1)", "at character 1: unknown intrinsic function 'States.Nope'"),
        ("States.Format", "at character 14: expected '(' after States.Format"),
        ("States.Format('a'", "at character 18: unterminated call to States.Format: expected ')'"),
        ("States.Format('abc)", "at character 15: unterminated string literal"),
        ("States.Array(1 2)", "at character 16: expected ',' or ')' in the arguments of States.Array, found '2'"),
        ("States.Array(1,)", "at character 16: unexpected ')', expected an argument"),
        ("States.Array(yes)", "at character 14: unexpected 'yes', expected a string, number, boolean, null, path or intrinsic function"),
        ("States.UUID(1)", "at character 1: States.UUID takes exactly 0 arguments, but 1 were given"),
        ("States.MathRandom(1)", "at character 1: States.MathRandom takes 2 to 3 arguments, but 1 were given"),
        ("States.Format()", "at character 1: States.Format takes at least 1 arguments, but 0 were given"),
        ("States.JsonToString('x')", "at character 1: the argument of States.JsonToString must be a path"),
        ("States.MathAdd(1,'-1')", "at character 1: argument 2 of States.MathAdd must be a number or a path"),
        ("States.Array($.a[)", "at character 14: invalid path '$.a[)': Could not parse token starting at position 3. Expected ?, ', 0-9, * "),
        ("States.Array(1) x", "at character 17: unexpected 'x' after the end of the call"),
    ])
    func syntaxErrorsNameThePosition(text: String, message: String) {
        do {
            _ = try IntrinsicCall(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.description == message)
        }
    }

    /// Random and mutated call texts never crash the parser.
    @Test func fuzzedCallsNeverCrash() {
        let pieces = ["States.", "Format", "Array", "(", ")", ",", "'", "\\", "{}", "$", "$$", ".a", "[0]", "[?(@.x)]", "1", "-", "true", " ", "States.Array(", "é"]
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            if (try? IntrinsicCall(parsing: text)) != nil { accepted += 1 }
        }
        #expect(accepted >= 0)
        #expect(throws: IntrinsicSyntaxError.self) { try IntrinsicCall(parsing: "") }
    }
}

@Suite struct IntrinsicPropertyTests {
    @Test func base64DecodeUndoesEncode() async {
        await propertyCheck(count: 300, input: Gen.character(in: " "..."\u{D7FF}").string(of: 0...200)) { text in
            let encoded = try? evaluate("States.Base64Encode($.s)", input: ["s": .string(text)])
            let decoded = try? evaluate("States.Base64Decode($.s)", input: ["s": encoded ?? .null])
            #expect(decoded == .string(text))
        }
    }

    @Test func arrayPartitionChunksConcatenateToTheInput() async {
        await propertyCheck(count: 300, input: Gen.int(in: -50...50).array(of: 0...40), Gen.int(in: 1...12)) { numbers, size in
            let input: JSONValue = ["a": .array(numbers.map { .int(Int64($0)) })]
            guard case .array(let chunks)? = try? evaluate("States.ArrayPartition($.a, \(size))", input: input) else {
                Issue.record("no chunks")
                return
            }
            #expect(chunks.flatMap { $0.arrayValue ?? [] } == input["a"]?.arrayValue)
            #expect(chunks.dropLast().allSatisfy { $0.arrayValue?.count == size })
            #expect(chunks.last.map { ($0.arrayValue?.count ?? 0) <= size && ($0.arrayValue?.count ?? 0) > 0 } ?? numbers.isEmpty)
        }
    }
}
