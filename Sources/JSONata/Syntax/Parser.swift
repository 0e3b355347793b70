/// JSONata's parser: top-down operator precedence (Pratt) over the lexer's tokens, then a
/// second pass (`Parser+Paths.swift`) that gives the tree the shape the evaluator walks.
struct Parser {
    private var lexer: Lexer
    private var token: Lexer.Token
    private var sourceLength: Int
    private let stackLimit = StackGuard.limit()
    var parentLabels = 0
    var ancestry: [Node] = []

    /// Parses a whole expression.
    static func parse(_ source: String) throws(JSONataError) -> Node {
        var parser = Parser(source)
        try parser.advance()
        let tree = try parser.expression(0)
        if parser.token.type != .end {
            throw JSONataError("S0201", position: parser.token.position, token: parser.tokenValue)
        }
        let processed = try parser.process(tree)
        markPlainNames(processed)
        if processed.kind == .parent || processed.seekingParent != nil {
            throw JSONataError("S0217", position: processed.position, token: processed.kind == .parent ? "parent" : "\(processed.kind)")
        }
        return processed
    }

    /// Marks the paths that are one plain field name, everywhere in the tree.
    private static func markPlainNames(_ node: Node) {
        func plain(_ step: Node, indexAllowed: Bool) -> Bool {
            var stagesOK = step.stages == nil
            if indexAllowed, let stages = step.stages, stages.count == 1, case .filter(let expr, _) = stages[0], expr.kind == .literal,
                expr.literal?.isNumber == true
            {
                stagesOK = true
            }
            return stagesOK && step.predicate == nil && step.group == nil && !step.keepArray && !step.tuple && step.focus == nil
                && step.indexVariable == nil && step.ancestor == nil && !step.isConstructedArray
        }
        if node.kind == .path, node.group == nil, node.predicate == nil, !node.keepSingletonArray, !node.keepArray, !node.tuple,
            let first = node.steps.first, first.kind == .name || first.kind == .variable, plain(first, indexAllowed: false),
            node.steps.dropFirst().allSatisfy({ $0.kind == .name && plain($0, indexAllowed: true) })
        {
            if node.steps.count == 1, first.kind == .name { node.isPlainName = true }
            if node.steps.count > 1 { node.isNameChain = true }
        }
        for child in node.children { markPlainNames(child) }
    }

    private init(_ source: String) {
        lexer = Lexer(source)
        sourceLength = lexer.source.count
        token = Lexer.Token(type: .end, position: 0)
    }

    // MARK: Tokens

    /// The symbol id of the current token: an operator, or (name), (literal), (regex), (end).
    private var id: String {
        switch token.type {
        case .operator: token.text
        case .name, .variable: "(name)"
        case .string, .number, .value: "(literal)"
        case .regex: "(regex)"
        case .end: "(end)"
        }
    }

    /// The token as JSONata's error messages show it.
    private var tokenValue: String {
        switch token.type {
        case .string: token.literal?.stringValue ?? ""
        case .number: NumberText.javaScript(token.number)
        case .value: token.literal.map(JSONText.stringify) ?? ""
        case .regex: token.regex.map { "/\($0.source)/" } ?? ""
        case .end: "(end)"
        default: token.text
        }
    }

    private static let infixPowers: [String: Int] = [
        ".": 75, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "=": 40, "<": 40, ">": 40, "!=": 40, "<=": 40, ">=": 40,
        "&": 50, "and": 30, "or": 25, "in": 40, "~>": 40, "(": 80, "[": 80, "^": 40, "{": 70, ":=": 10, "@": 80, "#": 80,
        "?": 20,
    ]
    private static let knownSymbols = Set([":", ";", ",", ")", "]", "}", "..", "**", "|", "(", "[", "{"]).union(infixPowers.keys)

    private var leftBindingPower: Int {
        token.type == .operator ? Self.infixPowers[token.text] ?? 0 : 0
    }

    /// Moves to the next token, first checking that the current one is `expected`.
    private mutating func advance(_ expected: String? = nil, infix: Bool = false) throws(JSONataError) {
        if let expected, id != expected {
            let code = token.type == .end ? "S0203" : "S0202"
            throw JSONataError(code, position: token.position, token: tokenValue, value: .string(expected))
        }
        token = try lexer.next(expectOperand: !infix)
        if token.type == .operator, !Self.knownSymbols.contains(token.text) {
            throw JSONataError("S0204", position: token.position, token: token.text)
        }
        if token.type == .end { token.position = sourceLength }
    }

    // MARK: Pratt's algorithm

    private mutating func expression(_ rbp: Int) throws(JSONataError) -> Node {
        if StackGuard.current() < stackLimit {
            throw JSONataError("U1001", message: "The expression is nested too deeply to parse", position: token.position)
        }
        let t = token
        try advance(infix: true)
        var left = try nud(t)
        while rbp < leftBindingPower {
            let t = token
            try advance()
            left = try led(t, left)
        }
        return left
    }

    private mutating func nud(_ t: Lexer.Token) throws(JSONataError) -> Node {
        switch t.type {
        case .name:
            let node = Node(.name, position: t.position)
            node.name = t.text
            return node
        case .variable:
            let node = Node(.variable, position: t.position)
            node.name = t.text
            return node
        case .string, .number, .value:
            let node = Node(.literal, position: t.position)
            node.literal = t.literal
            return node
        case .regex:
            let node = Node(.regex, position: t.position)
            node.regex = t.regex
            return node
        case .end:
            return Node(.end, position: t.position)
        case .operator:
            break
        }
        switch t.text {
        case "and", "or", "in":
            let node = Node(.operatorName, position: t.position)
            node.name = t.text
            return node
        case "-":
            let node = Node(.unary, position: t.position)
            node.op = "-"
            node.lhs = try expression(70)
            return node
        case "*": return Node(.wildcard, position: t.position)
        case "**": return Node(.descendant, position: t.position)
        case "%": return Node(.parent, position: t.position)
        case "(":
            let node = Node(.block, position: t.position)
            while id != ")" {
                node.expressions.append(try expression(0))
                if id != ";" { break }
                try advance(";")
            }
            try advance(")", infix: true)
            return node
        case "[":
            let node = Node(.unary, position: t.position)
            node.op = "["
            if id != "]" {
                while true {
                    var item = try expression(0)
                    if id == ".." {
                        let range = Node(.binary, position: token.position)
                        range.op = ".."
                        range.lhs = item
                        try advance("..")
                        range.rhs = try expression(0)
                        item = range
                    }
                    node.expressions.append(item)
                    if id != "," { break }
                    try advance(",")
                }
            }
            try advance("]", infix: true)
            return node
        case "{":
            let node = Node(.unary, position: t.position)
            node.op = "{"
            node.pairs = try objectPairs()
            return node
        case "|":
            let node = Node(.transform, position: t.position)
            node.pattern = try expression(0)
            try advance("|")
            node.update = try expression(0)
            if id == "," {
                try advance(",")
                node.delete = try expression(0)
            }
            try advance("|")
            return node
        default:
            throw JSONataError("S0211", position: t.position, token: t.text)
        }
    }

    private mutating func objectPairs() throws(JSONataError) -> [(Node, Node)] {
        var pairs: [(Node, Node)] = []
        if id != "}" {
            while true {
                let key = try expression(0)
                try advance(":")
                let value = try expression(0)
                pairs.append((key, value))
                if id != "," { break }
                try advance(",")
            }
        }
        try advance("}", infix: true)
        return pairs
    }

    private mutating func led(_ t: Lexer.Token, _ left: Node) throws(JSONataError) -> Node {
        let op = t.text
        switch op {
        case "(":
            let node = Node(.function, position: t.position)
            node.procedure = left
            if id != ")" {
                while true {
                    if token.type == .operator, token.text == "?" {
                        node.kind = .partial
                        node.arguments.append(Node(.placeholder, position: token.position))
                        try advance("?")
                    } else {
                        node.arguments.append(try expression(0))
                    }
                    if id != "," { break }
                    try advance(",")
                }
            }
            try advance(")", infix: true)
            if left.kind == .name, left.name == "function" || left.name == "\u{03BB}" {
                return try lambda(node)
            }
            return node
        case "[":
            if id == "]" {
                // An empty predicate keeps singleton arrays in the result.
                var step = left
                while step.kind == .binary, step.op == "[", let inner = step.lhs { step = inner }
                step.keepArray = true
                try advance("]", infix: true)
                return left
            }
            let node = Node(.binary, position: t.position)
            node.op = "["
            node.lhs = left
            node.rhs = try expression(0)
            try advance("]", infix: true)
            return node
        case "^":
            try advance("(")
            var terms: [Node.SortTerm] = []
            while true {
                var descending = false
                if id == "<" {
                    try advance("<")
                } else if id == ">" {
                    descending = true
                    try advance(">")
                }
                terms.append(Node.SortTerm(descending: descending, expression: try expression(0)))
                if id != "," { break }
                try advance(",")
            }
            try advance(")")
            let node = Node(.binary, position: t.position)
            node.op = "^"
            node.lhs = left
            node.terms = terms
            return node
        case "{":
            let node = Node(.binary, position: t.position)
            node.op = "{"
            node.lhs = left
            node.pairs = try objectPairs()
            return node
        case ":=":
            guard left.kind == .variable else { throw JSONataError("S0212", position: left.position, token: left.name) }
            let node = Node(.binary, position: t.position)
            node.op = ":="
            node.lhs = left
            node.rhs = try expression(Self.infixPowers[":="]! - 1)
            return node
        case "@", "#":
            let node = Node(.binary, position: t.position)
            node.op = op
            node.lhs = left
            let rhs = try expression(80)
            guard rhs.kind == .variable else { throw JSONataError("S0214", position: rhs.position, token: op) }
            node.rhs = rhs
            return node
        case "?":
            let node = Node(.condition, position: t.position)
            node.condition = left
            node.then = try expression(0)
            if id == ":" {
                try advance(":")
                node.otherwise = try expression(0)
            }
            return node
        default:
            let node = Node(.binary, position: t.position)
            node.op = op
            node.lhs = left
            node.rhs = try expression(Self.infixPowers[op] ?? 0)
            return node
        }
    }

    /// `function($a, $b)<sig>{ body }`: the call just parsed was a lambda's head.
    private mutating func lambda(_ head: Node) throws(JSONataError) -> Node {
        for (index, arg) in head.arguments.enumerated() where arg.kind != .variable {
            throw JSONataError("S0208", position: arg.position, token: arg.name, value: .number(Double(index + 1)))
        }
        let node = Node(.lambda, position: head.position)
        node.arguments = head.arguments
        if id == "<" {
            let start = token.position
            var depth = 1
            var text = "<"
            while depth > 0, id != "{", id != "(end)" {
                try advance()
                if id == ">" {
                    depth -= 1
                } else if id == "<" {
                    depth += 1
                }
                text += tokenValue
            }
            try advance(">")
            node.signature = try Signature(text, position: start)
        }
        try advance("{")
        node.body = try expression(0)
        try advance("}")
        return node
    }
}
