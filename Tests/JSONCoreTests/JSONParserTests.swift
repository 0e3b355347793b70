import JSONCore
import Testing

@Suite struct JSONParserTests {
    @Test func keepsObjectKeyOrder() throws {
        let value = try JSONValue(parsing: #"{"z": 1, "a": 2, "m": {"y": true, "b": null}}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value.compactString == #"{"z":1,"a":2,"m":{"y":true,"b":null}}"#)
    }

    @Test func holdsIntegersExactly() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        // Past 64 bits an integer becomes a double, as documented in docs/compatibility.md.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "1.5e3") == .double(1500))
        #expect(try JSONValue(parsing: "0.1") == .double(0.1))
    }

    @Test func decodesEscapesAndUnicode() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude42 \u0000""#)
        #expect(value == .string("a\"b\\c/d\u{8}\u{C}\n\r\té🙂 \u{0}"))
        #expect(try JSONValue(parsing: "\"Zoë 漢字\"") == .string("Zoë 漢字"))
        // A lone surrogate cannot live in a Swift string: it becomes U+FFFD.
        #expect(try JSONValue(parsing: #""\ud800x""#) == .string("\u{FFFD}x"))
    }

    @Test func duplicateKeysKeepTheLastValueAtTheFirstPosition() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value.compactString == #"{"a":3,"b":2}"#)
    }

    @Test func largeObjectsFindEveryKey() throws {
        let text = "{" + (0..<100).map { "\"k\($0)\": \($0)" }.joined(separator: ",") + "}"
        let value = try JSONValue(parsing: text)
        for i in 0..<100 { #expect(value["k\(i)"] == .int(Int64(i))) }
        #expect(value["k100"] == nil)
    }

    @Test(arguments: [
        ("", 1, 1, "expected a JSON value but the text is empty"),
        ("{\"a\" 1}", 1, 6, "unexpected character '1', expected ':' after an object key"),
        ("[1, 2,]", 1, 7, "unexpected character ']', expected a value"),
        ("{\n  \"a\": tru\n}", 2, 8, "invalid literal, expected 'true'"),
        ("[1 2]", 1, 4, "unexpected character '2', expected ',' or ']' after an array element"),
        ("\"abc", 1, 1, "unterminated string"),
        ("\"a\u{1}b\"", 1, 3, "control character U+0001 must be escaped in a string"),
        ("01", 1, 1, "invalid number, leading zeros are not allowed"),
        ("1.", 1, 1, "invalid number, expected a digit after '.'"),
        ("\"\\x\"", 1, 2, "invalid escape sequence '\\x'"),
        ("{} x", 1, 4, "unexpected character 'x' after the JSON value"),
        (" 42 x", 1, 5, "unexpected character 'x' after the JSON value"),
        ("\"a\"\n\"b\"", 2, 1, "unexpected character '\"' after the JSON value"),
        ("x", 1, 1, "unexpected character 'x', expected a value"),
        ("[\"é\", x]", 1, 7, "unexpected character 'x', expected a value"),
        ("{\"a\": [1, {\"b\": 2}", 1, 19, "unexpected end of text, expected ',' or ']'"),
    ])
    func errorsNameLineAndColumn(text: String, line: Int, column: Int, message: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
            #expect(error.message == message)
            #expect(error.description == "\(line):\(column): \(message)")
        }
    }

    @Test func aDocumentMayBeOneScalar() throws {
        #expect(try JSONValue(parsing: " 42 ") == .int(42))
        #expect(try JSONValue(parsing: "\t\"s\"\n") == .string("s"))
        #expect(try JSONValue(parsing: "-1.5e3") == JSONValue(parsing: "[-1.5e3]").arrayValue?.first)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: " null") == .null)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: Never.self) { try JSONValue(parsing: ok) }
        let deep = String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
    }
}

@Suite struct DuplicateKeyTests {
    @Test func reportsEveryRepeatedKeyWithItsObject() throws {
        let text = #"{"States": {"A": {"Type": "Pass", "End": true, "Type": "Task"}, "B": [{"x": 1}, {"x": 1, "x": 2}]}, "States": {}}"#
        let (value, duplicates) = try JSONParser.parseReportingDuplicateKeys(text)
        #expect(duplicates.map(\.description) == [
            "/States/A: duplicate key \"Type\"",
            "/States/B/1: duplicate key \"x\"",
            "/: duplicate key \"States\"",
        ])
        #expect(value["States"] == [:])
    }

    @Test func pointsIntoArraysNestedInObjectsNestedInArrays() throws {
        // The array index counts elements only, whatever objects lie between.
        let text = #"[1, {"m": 0, "n": 0}, {"p": 0, "k": [{"y": 0}, {"x": 1, "x": 2}]}]"#
        let (_, duplicates) = try JSONParser.parseReportingDuplicateKeys(text)
        #expect(duplicates.map(\.description) == ["/2/k/1: duplicate key \"x\""])
    }

    @Test func noReportWithoutDuplicates() throws {
        let (_, duplicates) = try JSONParser.parseReportingDuplicateKeys(#"{"a": {"b": 1, "c": [1, {"d": 2}]}}"#)
        #expect(duplicates.isEmpty)
    }
}
