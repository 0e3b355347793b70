import JSONCore
import PathExpressions
import Testing

@Suite struct ReferencePathTests {
    @Test(arguments: ["$", "$.a", "$.a.b", "$['a b'].c", "$.a[0].b", "$$.Execution.Id", "$var", "$var.x[2]"])
    func accepts(text: String) {
        #expect(throws: Never.self) { try ReferencePath(text) }
    }

    @Test(arguments: ["$.a[*]", "$..a", "$.a[0:1]", "$.a[0,1]", "$['a','b']", "$.a[?(@.b)]", "$.a.length()", "$.a[-1]", "a.b", "@.a", ""])
    func rejects(text: String) {
        #expect(throws: JSONPathError.self) { try ReferencePath(text) }
    }

    @Test func placesResultsAsResultPathDoes() throws {
        let input: JSONValue = ["a": ["keep": 1], "list": [1, 2]]
        #expect(try ReferencePath("$").placing("r", into: input) == "r")
        #expect(try ReferencePath("$.a.new").placing("r", into: input) == ["a": ["keep": 1, "new": "r"], "list": [1, 2]])
        #expect(try ReferencePath("$.x.y.z").placing(1, into: input) == ["a": ["keep": 1], "list": [1, 2], "x": ["y": ["z": 1]]])
        #expect(try ReferencePath("$.list[1]").placing(9, into: input) == ["a": ["keep": 1], "list": [1, 9]])
        // Through a value that is not an object, or past an array's end: ResultPathMatchFailure.
        #expect(try ReferencePath("$.a.keep.x").placing(1, into: input) == nil)
        #expect(try ReferencePath("$.list[5]").placing(1, into: input) == nil)
        #expect(try ReferencePath("$.a").placing(1, into: "string input") == nil)
        // The new key goes last, existing keys keep their place.
        #expect(try ReferencePath("$.a").placing(0, into: input)?.objectValue?.keys == ["a", "list"])
    }

    @Test func selectsFromEachRoot() throws {
        let scope = DataScope(input: ["a": 1], context: ["Execution": ["Name": "n"]], variables: ["v": ["w": [10, 20]]])
        #expect(try ReferencePath("$.a").select(in: scope) == 1)
        #expect(try ReferencePath("$$.Execution.Name").select(in: scope) == "n")
        #expect(try ReferencePath("$v.w[1]").select(in: scope) == 20)
        #expect(throws: JSONPathError.self) { try ReferencePath("$undefined").select(in: scope) }
    }

    @Test func selectorsRouteByRoot() throws {
        let scope = DataScope(input: ["items": [1, 2, 3]], context: ["Map": ["Item": ["Index": 2]]], variables: ["limit": 2])
        #expect(try Selector("$.items[?(@ > $.items[0])]").select(in: scope) == [2, 3])
        #expect(try Selector("$$.Map.Item.Index").select(in: scope) == 2)
        #expect(try Selector("$limit").select(in: scope) == 2)
        #expect(try Selector("$").root == .input)
        #expect(try Selector("$$").root == .context)
        #expect(try Selector("$x_1.y").root == .variable("x_1"))
    }
}
