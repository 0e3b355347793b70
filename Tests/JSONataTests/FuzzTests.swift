import JSONCore
import Testing

@testable import JSONata

/// Random and mutated expressions never crash the evaluator: each parses and evaluates to a
/// value or to a JSONata error with a code.
@Suite struct FuzzTests {
    static let seeds = [
        "Account.Order.Product[Price > 30].(Price * Quantity)",
        "$sum(Account.Order.Product.(Price * Quantity))",
        "Account.Order@$o.Product@$p.{'order': $o.OrderID, 'product': $p.SKU}",
        "Account.Order#$i[$i < 1].OrderID",
        "Account.Order.Product^(>Price, Description.Colour).SKU",
        "Account.Order.Product{Description.Colour: $sum(Price)}",
        "Account.Order.Product.%.OrderID",
        "( $f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5) )",
        "$map([1,2,3], function($v, $i){ $v * $i })",
        "$reduce([1..5], function($a, $b){ $a + $b }, 0)",
        "$filter(Account.Order.Product, function($p){ $p.Price > 30 }).SKU",
        "$replace('hello world', /o(.)/, '$1')",
        "$split('a,b,,c', ',', 2)",
        "$match('ababab', /a(b)/)",
        "$formatNumber(1234.5678, '#,##0.00')",
        "$formatInteger(2024, 'w')",
        "$fromMillis(1521801216617, '[Y0001]-[M01]-[D01] [H01]:[m01]')",
        "$toMillis('2018-03-23T10:33:36.617Z')",
        "$string({'a': [1, true, null, 'x']}, true)",
        "Account ~> |Order.Product|{'Price': Price * 2}, ['SKU']|",
        "$substring('Hello World', -5, 3) & $uppercase('x') & $pad('7', -3, '0')",
        "[1..10][$ % 2 = 0] ~> $count()",
        "$keys(Account.Order[0].Product[0]) ~> $join(', ')",
        "$each(Account.Order[0], function($v, $k){ $k })",
        "$sort(Account.Order.Product, function($a, $b){ $a.Price > $b.Price }).Price",
        "**.Price",
        "Account.*.Product[0]",
        "$lookup({'a': 1}, 'a') in [1, 2]",
        "$zip([1,2], [3,4])",
        "$distinct([1, 1, 2, [1], [1]])",
        "$single([1,2,3], function($v){ $v = 2 })",
        "$spread({'a': 1, 'b': 2})",
        "$number('0x1F') + $round(2.5) + $floor(-1.5)",
        "$sift({'a': 1, 'b': 2}, function($v){ $v > 1 })",
        "$exists(Account.Missing) ? 'yes' : 'no'",
        "$decodeUrlComponent($encodeUrlComponent('a b/c?'))",
        "$base64decode($base64encode('hello'))",
        "$partition([1,2,3], 2)",
    ]
    static let alphabet = Array("$.[]{}()@#^%*,;:?|&=<>!~-+/'\"`0123456789abcxyz \\λ")

    static let input = try! JSONValue(
        parsing: """
            {"Account": {"Name": "Firefly", "Order": [
              {"OrderID": "order103", "Product": [
                {"Name": "Bowler Hat", "SKU": "0406654608", "Description": {"Colour": "Purple"}, "Price": 34.45, "Quantity": 2},
                {"Name": "Trilby hat", "SKU": "0406634348", "Description": {"Colour": "Orange"}, "Price": 21.67, "Quantity": 1}]},
              {"OrderID": "order104", "Product": [
                {"Name": "Bowler Hat", "SKU": "040657863", "Description": {"Colour": "Purple"}, "Price": 34.45, "Quantity": 4}]}]}}
            """)

    /// A small deterministic generator, so a failure can be reproduced from its seed.
    struct SplitMix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static func mutate(_ source: String, _ random: inout SplitMix) -> String {
        var chars = Array(source)
        for _ in 0...random.next(4) {
            let at = chars.isEmpty ? 0 : random.next(chars.count)
            switch random.next(4) {
            case 0 where !chars.isEmpty: chars.remove(at: at)
            case 1: chars.insert(alphabet[random.next(alphabet.count)], at: at)
            case 2 where !chars.isEmpty: chars[at] = alphabet[random.next(alphabet.count)]
            default:
                // Splice in a piece of another seed.
                let other = Array(seeds[random.next(seeds.count)])
                let start = random.next(other.count)
                chars.insert(contentsOf: other[start..<min(other.count, start + 1 + random.next(12))], at: at)
            }
        }
        return String(chars)
    }

    @Test func mutatedExpressionsNeverCrash() {
        var random = SplitMix(state: 20_261_126)
        var evaluated = 0
        var failedWithCode = 0
        for i in 0..<4000 {
            let source =
                i % 10 == 9
                ? String((0..<(1 + random.next(30))).map { _ in Self.alphabet[random.next(Self.alphabet.count)] })
                : Self.mutate(Self.seeds[random.next(Self.seeds.count)], &random)
            do {
                let expression = try JSONataExpression(source)
                _ = try expression.evaluate(input: Self.input, options: .init(timeLimit: .milliseconds(200)))
                evaluated += 1
            } catch {
                #expect(error.code.count == 5, "\(source): \(error)")
                failedWithCode += 1
            }
        }
        // Both outcomes occur, so the mutations exercise the evaluator, not only the parser.
        #expect(evaluated > 400)
        #expect(failedWithCode > 400)
    }

    @Test func seedsEvaluate() throws {
        for seed in Self.seeds {
            #expect(throws: Never.self, "\(seed)") { _ = try JSONataExpression(seed).evaluate(input: Self.input) }
        }
    }
}
