/// A function signature such as `<s-nn?:s>`: the types of a function's parameters, which
/// arguments may be left out, and which take the context value when they are.
///
/// Arguments are checked as JSONata checks them: each argument's type letter (`m` when it is
/// undefined) is matched against the parameters, greedily from the left, backtracking.
struct Signature: Sendable {
    enum Quantifier: Sendable { case one, optional, oneOrMore }

    struct Parameter: Sendable {
        var accepts: Set<Character>
        var quantifier: Quantifier = .one
        var type: String
        var subtype: String?
        var usesContext = false
        var contextAccepts: Set<Character> = []
    }

    let definition: String
    private(set) var parameters: [Parameter] = []

    private static let typeNames: [Character: String] = [
        "a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings",
    ]

    init(_ definition: String, position: Int = 0) throws(JSONataError) {
        self.definition = definition
        let chars = Array(definition)
        var i = 1
        func closing(_ open: Character, _ close: Character, from start: Int) -> Int {
            var depth = 1
            var p = start
            while p < chars.count - 1 {
                p += 1
                if chars[p] == close {
                    depth -= 1
                    if depth == 0 { break }
                } else if chars[p] == open {
                    depth += 1
                }
            }
            return p
        }
        while i < chars.count {
            let symbol = chars[i]
            if symbol == ":" { break }
            switch symbol {
            case "s", "n", "b", "l", "o":
                parameters.append(Parameter(accepts: [symbol, "m"], type: String(symbol)))
            case "a":
                parameters.append(Parameter(accepts: Set("asnblfom"), type: "a"))
            case "f":
                parameters.append(Parameter(accepts: ["f"], type: "f"))
            case "j":
                parameters.append(Parameter(accepts: Set("asnblom"), type: "j"))
            case "x":
                parameters.append(Parameter(accepts: Set("asnblfom"), type: "x"))
            case "-":
                if var last = parameters.popLast() {
                    last.usesContext = true
                    last.contextAccepts = last.accepts
                    last.quantifier = .optional
                    parameters.append(last)
                }
            case "?":
                if var last = parameters.popLast() {
                    last.quantifier = last.quantifier == .oneOrMore ? .oneOrMore : .optional
                    parameters.append(last)
                }
            case "+":
                if var last = parameters.popLast() {
                    last.quantifier = .oneOrMore
                    parameters.append(last)
                }
            case "(":
                let end = closing("(", ")", from: i)
                let choice = String(chars[(i + 1)..<end])
                if choice.contains("<") { throw JSONataError("S0402", position: position + i, value: .string(choice)) }
                parameters.append(Parameter(accepts: Set(choice + "m"), type: "(\(choice))"))
                i = end
            case "<":
                guard var last = parameters.popLast(), last.type == "a" || last.type == "f" else {
                    throw JSONataError("S0401", position: position + i, value: parameters.last.map { .string($0.type) })
                }
                let end = closing("<", ">", from: i)
                last.subtype = String(chars[(i + 1)..<end])
                parameters.append(last)
                i = end
            default:
                break
            }
            i += 1
        }
    }

    /// The arguments to call the function with: the context value put in for a left-out
    /// argument that takes it, single values wrapped where an array is expected.
    func validate(_ args: [Value?], context: Value?) throws(JSONataError) -> [Value?] {
        if let quick = quickValidate(args) { return quick }
        let symbols: [Character] = args.map { $0?.signatureSymbol ?? "m" }
        var captures = [Range<Int>](repeating: 0..<0, count: parameters.count)
        guard match(0, 0, symbols, &captures, upTo: parameters.count, anchored: true) != nil else {
            throw validationError(args, symbols)
        }
        var validated: [Value?] = []
        var argIndex = 0
        for (p, parameter) in parameters.enumerated() {
            let captured = symbols[captures[p]]
            if captured.isEmpty {
                if parameter.usesContext {
                    let contextSymbol = context?.signatureSymbol ?? "m"
                    guard parameter.contextAccepts.contains(contextSymbol) else {
                        throw JSONataError("T0411", value: context, index: argIndex + 1)
                    }
                    validated.append(context)
                } else {
                    validated.append(argIndex < args.count ? args[argIndex] : nil)
                    argIndex += 1
                }
                continue
            }
            for single in captured {
                var arg = args[argIndex]
                if parameter.type == "a" {
                    if single == "m" {
                        arg = nil
                    } else if let value = arg {
                        if let subtype = parameter.subtype {
                            var arrayOK = true
                            if single != "a" {
                                arrayOK = String(captured) == subtype
                            } else if let items = value.arrayValue?.items, let first = items.first {
                                let itemType = first.signatureSymbol
                                arrayOK = itemType == subtype.first && items.allSatisfy { $0.signatureSymbol == itemType }
                            }
                            if !arrayOK {
                                throw JSONataError(
                                    "T0412", value: value, index: argIndex + 1, type: subtype.first.flatMap { Self.typeNames[$0] })
                            }
                        }
                        if single != "a" { arg = .array([value]) }
                    }
                }
                validated.append(arg)
                argIndex += 1
            }
        }
        return validated
    }

    /// The common case without the matcher: each argument of a type its parameter takes, the
    /// parameters left over optional ones that do not take the context, no array subtype to
    /// check. This is the matcher's first, greedy choice. Nil when the full check is needed.
    private func quickValidate(_ args: [Value?]) -> [Value?]? {
        guard args.count <= parameters.count else { return nil }
        var validated = args
        for (i, parameter) in parameters.enumerated() {
            guard parameter.quantifier != .oneOrMore, parameter.subtype == nil else { return nil }
            guard i < args.count else {
                guard parameter.quantifier == .optional, !parameter.usesContext else { return nil }
                validated.append(nil)
                continue
            }
            guard let arg = args[i] else { return nil }
            let symbol = arg.signatureSymbol
            guard parameter.accepts.contains(symbol) else { return nil }
            if parameter.type == "a", symbol != "a" { validated[i] = .array([arg]) }
        }
        return validated
    }

    /// T0410 at the first argument the parameters cannot account for.
    private func validationError(_ args: [Value?], _ symbols: [Character]) -> JSONataError {
        var goodTo = 0
        var captures = [Range<Int>](repeating: 0..<0, count: parameters.count)
        for index in 0..<parameters.count {
            guard let end = match(0, 0, symbols, &captures, upTo: index + 1, anchored: false) else { break }
            goodTo = end
        }
        return JSONataError("T0410", value: goodTo < args.count ? args[goodTo] : nil, index: goodTo + 1)
    }

    /// Matches parameters `p..<upTo` from symbol `pos`, greedily with backtracking; the end
    /// position of the first match found.
    private func match(_ p: Int, _ pos: Int, _ symbols: [Character], _ captures: inout [Range<Int>], upTo: Int, anchored: Bool) -> Int? {
        if p == upTo { return !anchored || pos == symbols.count ? pos : nil }
        let parameter = parameters[p]
        var run = 0
        while pos + run < symbols.count, parameter.accepts.contains(symbols[pos + run]) {
            run += 1
            if parameter.quantifier != .oneOrMore { break }
        }
        let minimum = parameter.quantifier == .optional ? 0 : 1
        var count = run
        while count >= minimum {
            captures[p] = pos..<(pos + count)
            if let end = match(p + 1, pos + count, symbols, &captures, upTo: upTo, anchored: anchored) { return end }
            count -= 1
        }
        return nil
    }

    /// How many arguments a function with this signature declares.
    var arity: Int { parameters.count }
}
