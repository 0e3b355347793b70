import JSONCore
import Testing

@Suite struct JSONValueTests {
    @Test func numbersCompareByValue() {
        #expect(JSONValue.int(1) == .double(1.0))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(Set<JSONValue>([.int(1), .double(1.0), .int(2)]).count == 2)
    }

    @Test func objectsCompareWithoutOrder() {
        let a: JSONValue = ["x": 1, "y": [true, nil]]
        let b: JSONValue = ["y": [true, nil], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1])
    }

    /// JSON compares strings by code points: "ü" precomposed is not "u" + combining diaeresis.
    @Test func stringsAreNotUnicodeNormalised() {
        let nfc = "\u{FC}", nfd = "u\u{308}"
        #expect(JSONValue.string(nfc) != .string(nfd))
        var object = JSONObject()
        object[nfc] = 1
        #expect(object[nfd] == nil)
        object[nfd] = 2
        #expect(object.count == 2)
        #expect(object[nfc] == 1)
    }

    @Test func sharedStorageIsSeenOnlyBetweenUnchangedCopies() throws {
        let value = try JSONValue(parsing: #"{"items":[1,2,3],"name":"x"}"#)
        let copy = value
        #expect(value.sharesStorage(with: copy))
        #expect(value["items"]!.sharesStorage(with: copy["items"]!))
        // Equal but built separately, or changed after the copy: not the same storage.
        #expect(!value.sharesStorage(with: try JSONValue(parsing: #"{"items":[1,2,3],"name":"x"}"#)))
        var object = try #require(copy.objectValue)
        object["name"] = "y"
        #expect(!value.sharesStorage(with: .object(object)))
        #expect(!value["items"]!.sharesStorage(with: value))
        #expect(!JSONValue.string("a").sharesStorage(with: .string("a")))
    }

    @Test func objectEditing() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = 20
        object["d"] = 4
        object["a"] = nil
        #expect(object.keys == ["b", "c", "d"])
        #expect(JSONValue.object(object).compactString == #"{"b":20,"c":3,"d":4}"#)
    }

    @Test func javaRandomMatchesTheJDK() {
        // Values of java.util.Random(42): nextDouble() is 0.7275636800328681 (also AWS's $random(42)).
        var random = JavaRandom(seed: 42)
        #expect(random.nextDouble() == 0.7275636800328681)
        var ints = JavaRandom(seed: 42)
        #expect(ints.nextInt(10) == 0)
        #expect(ints.nextInt(10) == 3)
    }
}
