import JSONCore
import PathExpressions
import Testing

@Suite struct JSONPathTests {
    let document: JSONValue = [
        "store": [
            "book": [
                ["category": "reference", "author": "Rees", "price": 8.95],
                ["category": "fiction", "author": "Waugh", "price": 12.99, "isbn": "0-553"],
                ["category": "fiction", "author": "Tolkien", "price": 22.99, "isbn": "0-395"],
            ],
            "bicycle": ["color": "red", "price": 19.95],
        ],
        "expensive": 10,
    ]

    @Test(arguments: [
        ("$.store.book[0].author", "\"Rees\""),
        ("$['store']['bicycle'].color", "\"red\""),
        ("$.store.book[-1].price", "22.99"),
        ("$.store.book[*].author", "[\"Rees\",\"Waugh\",\"Tolkien\"]"),
        ("$..price", "[8.95,12.99,22.99,19.95]"),
        ("$.store.book[0:2].price", "[8.95,12.99]"),
        ("$.store.book[0,2].author", "[\"Rees\",\"Tolkien\"]"),
        ("$.store.book[?(@.price > 10 && @.category == 'fiction')].author", "[\"Waugh\",\"Tolkien\"]"),
        ("$.store.book[?(@.isbn)].author", "[\"Waugh\",\"Tolkien\"]"),
        ("$.store.book[?(@.price < $.expensive)].author", "[\"Rees\"]"),
        ("$.store.book[?(@.author =~ /t.*/i)].author", "[\"Tolkien\"]"),
        ("$.store.book[?(@.category in ['reference'])].price", "[8.95]"),
        ("$.store.book.length()", "3"),
        ("$.store.bicycle['color','price']", "{\"color\":\"red\",\"price\":19.95}"),
        ("$.store.book[*].missing", "[]"),
        ("$", "{\"store\":{\"book\":[{\"category\":\"reference\",\"author\":\"Rees\",\"price\":8.95},{\"category\":\"fiction\",\"author\":\"Waugh\",\"price\":12.99,\"isbn\":\"0-553\"},{\"category\":\"fiction\",\"author\":\"Tolkien\",\"price\":22.99,\"isbn\":\"0-395\"}],\"bicycle\":{\"color\":\"red\",\"price\":19.95}},\"expensive\":10}"),
    ])
    func selects(path: String, expected: String) throws {
        #expect(try JSONPath(path).evaluate(document) == JSONValue(parsing: expected))
    }

    @Test func definiteAndIndefinite() throws {
        #expect(try JSONPath("$.a[0].b").isDefinite)
        #expect(try JSONPath("$['a','b']").isDefinite)
        #expect(try !JSONPath("$.a[*]").isDefinite)
        #expect(try !JSONPath("$..a").isDefinite)
        #expect(try !JSONPath("$.a[0,1]").isDefinite)
        #expect(try !JSONPath("$.a[?(@.b)]").isDefinite)
    }

    /// AWS quotes Jayway's messages in its causes; these are the recorded ones.
    @Test(arguments: [
        ("$.NoSuchOutputPath", "No results for path: $['NoSuchOutputPath']"),
        ("$.no.such.result.path", "Missing property in path $['no']"),
        ("$.missing[*]", "Missing property in path $['missing']"),
        ("$.store.book[7]", "No results for path: $['store']['book'][7]"),
        ("$.expensive.x", "Expected to find an object with property ['x'] in path $['expensive'] but found 'java.lang.Integer'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."),
        ("$.store[0]", "Filter: [0] can only be applied to arrays. Current context is: {\"book\":[{\"category\":\"reference\",\"author\":\"Rees\",\"price\":8.95},{\"category\":\"fiction\",\"author\":\"Waugh\",\"price\":12.99,\"isbn\":\"0-553\"},{\"category\":\"fiction\",\"author\":\"Tolkien\",\"price\":22.99,\"isbn\":\"0-395\"}],\"bicycle\":{\"color\":\"red\",\"price\":19.95}}"),
    ])
    func notFoundMessages(path: String, message: String) throws {
        let compiled = try JSONPath(path)
        #expect(throws: JSONPathError(.pathNotFound, message)) { try compiled.evaluate(document) }
    }

    @Test(arguments: [
        ("$a", "Illegal character at position 1 expected '.' or '['"),
        ("$.", "Path must not end with a '.' or '..'"),
        ("$...a", "Character '.' on position 3 is not valid."),
        ("$[key]", "Could not parse token starting at position 1. Expected ?, ', 0-9, * "),
        ("$. a", "Could not parse token starting at position 2"),
        ("$[?(@.a = 1)]", "Expected character: )"),
        ("$[::2]", "Failed to parse SliceOperation: ::2"),
        ("$.a[", "Could not parse token starting at position 3. Expected ?, ', 0-9, * "),
        ("$['a", "Property has not been closed - missing closing '"),
    ])
    func invalidPaths(path: String, message: String) {
        #expect(throws: JSONPathError(.invalidPath, message)) { try JSONPath(path) }
    }

    /// Random and mutated path texts never crash the compiler or the evaluator.
    @Test func fuzzedPathsNeverCrash() {
        let pieces = ["$", "@", ".", "..", "[", "]", "*", "'", "\"", "a", "0", "-1", ":", ",", "?", "(", ")", "@.a", "==", "&&", "||", "!", "/x/", " ", "length()", "é", "\\"]
        var rng = SystemRandomNumberGenerator()
        var compiled = 0
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0...9, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            guard let path = try? JSONPath(text) else { continue }
            compiled += 1
            _ = try? path.evaluate(document)
        }
        #expect(compiled > 0)
    }
}
