import Foundation

extension Builtins {
    static func registerStrings(into t: inout [String: NativeFunction]) {
        // Declared as string(arg, prettify = false): JavaScript counts one parameter.
        define(&t, "string", "<x-b?:s>", arity: 1) { call in
            guard let value = call[0] else { return nil }
            return .string(try stringValue(value, pretty: call[1]?.truthiness ?? false))
        }
        define(&t, "length", "<s-:n>", arity: 1) { call in
            call.string(0).map { .number(Double($0.unicodeScalars.count)) }
        }
        define(&t, "substring", "<s-nn?:s>", arity: 3) { call in
            guard let s = call.string(0), let start = call.number(1) else { return nil }
            return .string(substring(s, start, call.number(2)))
        }
        define(&t, "substringBefore", "<s-s:s>", arity: 2) { call in
            guard let s = call.string(0) else { return nil }
            guard let chars = call.string(1) else { return .string(s) }
            let (units, pattern) = (Array(s.utf16), Array(chars.utf16))
            guard let at = indexOf(pattern, in: units, from: 0) else { return .string(s) }
            return .string(String(decoding: units[..<at], as: UTF16.self))
        }
        define(&t, "substringAfter", "<s-s:s>", arity: 2) { call in
            guard let s = call.string(0) else { return nil }
            guard let chars = call.string(1) else { return .string(s) }
            let (units, pattern) = (Array(s.utf16), Array(chars.utf16))
            guard let at = indexOf(pattern, in: units, from: 0) else { return .string(s) }
            return .string(String(decoding: units[(at + pattern.count)...], as: UTF16.self))
        }
        define(&t, "uppercase", "<s-:s>", arity: 1) { call in call.string(0).map { .string($0.uppercased()) } }
        define(&t, "lowercase", "<s-:s>", arity: 1) { call in call.string(0).map { .string($0.lowercased()) } }
        define(&t, "trim", "<s-:s>", arity: 1) { call in
            guard let s = call.string(0) else { return nil }
            var out = ""
            var inSpace = false
            for ch in s.unicodeScalars {
                if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" {
                    if !inSpace { out += " " }
                    inSpace = true
                } else {
                    out.unicodeScalars.append(ch)
                    inSpace = false
                }
            }
            if out.hasPrefix(" ") { out.removeFirst() }
            if out.hasSuffix(" ") { out.removeLast() }
            return .string(out)
        }
        define(&t, "pad", "<s-ns?:s>", arity: 3) { call in
            guard let s = call.string(0), let width = call.number(1) else { return nil }
            var char = call.string(2) ?? " "
            if char.isEmpty { char = " " }
            let length = s.unicodeScalars.count
            let padLength = Int(abs(width).rounded(.towardZero)) - length
            guard padLength > 0, !char.isEmpty else { return .string(s) }
            if padLength * char.utf8.count > JSONataError.maximumStringLength { throw JSONataError.stringTooLong(padLength) }
            var padding = String(repeating: char, count: padLength)
            if char.unicodeScalars.count > 1 { padding = substring(padding, 0, Double(padLength)) }
            return .string(width > 0 ? s + padding : padding + s)
        }
        define(&t, "contains", "<s-(sf):b>", arity: 2) { call in
            guard let s = call.string(0) else { return nil }
            switch call[1] {
            case .string(let token)?:
                return .bool(token.isEmpty || indexOf(Array(token.utf16), in: Array(s.utf16), from: 0) != nil)
            case .function(let f)?:
                guard case .regex(let regex) = f.body else {
                    return .bool(try call.evaluator.apply(.function(f), [.string(s)], nil, call.environment) != nil)
                }
                return .bool(regex.firstMatch(in: s as NSString, from: 0) != nil)
            default:
                return nil
            }
        }
        define(&t, "split", "<s-(sf)n?:a<s>>", arity: 3) { call in
            guard let s = call.string(0) else { return nil }
            if let limit = call.number(2), limit < 0 { throw JSONataError("D3020", value: .string(s)) }
            let limit = call.number(2).map { Int($0.clamped) }
            var parts: [String] = []
            switch call[1] {
            case .string(let separator)?:
                parts = splitString(s, separator, limit: limit)
            case .function(let f)?:
                let ns = s as NSString
                var start = 0
                var count = 0
                var matches = try RegexMatches(f, in: ns, evaluator: call.evaluator, env: call.environment)
                while let match = try matches.next(), limit.map({ count < $0 }) ?? true {
                    parts.append(ns.substring(with: NSRange(location: start, length: max(0, match.start - start))))
                    start = match.end
                    count += 1
                }
                if limit.map({ count < $0 }) ?? true { parts.append(ns.substring(from: min(start, ns.length))) }
            default:
                return nil
            }
            return .array(parts.map { .string($0) })
        }
        define(&t, "join", "<a<s>s?:s>", arity: 2) { call in
            guard let items = call.items(0) else { return nil }
            let separator = call.string(1) ?? ""
            let strings = items.compactMap(\.stringValue)
            let length = strings.reduce(0) { $0 + $1.utf8.count } + separator.utf8.count * max(0, strings.count - 1)
            if length > JSONataError.maximumStringLength { throw JSONataError.stringTooLong(length) }
            return .string(strings.joined(separator: separator))
        }
        define(&t, "match", "<s-f<s:o>n?:a<o>>", arity: 3) { call in
            guard let s = call.string(0) else { return nil }
            if let limit = call.number(2), limit < 0 { throw JSONataError("D3040", value: .number(limit)) }
            let limit = call.number(2).map { Int($0.clamped) }
            var result = ValueArray.sequence()
            guard let f = call.function(1) else { return nil }
            var matches = try RegexMatches(f, in: s as NSString, evaluator: call.evaluator, env: call.environment)
            var count = 0
            while limit.map({ count < $0 }) ?? true, let match = try matches.next() {
                let object = ValueObject()
                object["match"] = .string(match.text)
                object["index"] = .number(Double(match.start))
                object["groups"] = .array(match.groups.map { .string($0) })
                result.append(.object(object))
                count += 1
            }
            return .array(result)
        }
        define(&t, "replace", "<s-(sf)(sf)n?:s>", arity: 4) { call in
            guard let s = call.string(0) else { return nil }
            if case .string(let p)? = call[1], p.isEmpty { throw JSONataError("D3010", value: .string(p)) }
            if let limit = call.number(3), limit < 0 { throw JSONataError("D3011", value: .number(limit)) }
            return .string(try replace(s, call[1], call[2], limit: call.number(3).map { Int($0.clamped) }, call))
        }
        define(&t, "base64encode", "<s-:s>", arity: 1) { call in
            call.string(0).map { .string(Data(latin1OrUTF8: $0).base64EncodedString()) }
        }
        define(&t, "base64decode", "<s-:s>", arity: 1) { call in
            guard let s = call.string(0) else { return nil }
            guard let data = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else { return .string("") }
            return .string(String(data: data, encoding: .utf8) ?? String(decoding: data.map { $0 }, as: Unicode.ASCII.self))
        }
        define(&t, "encodeUrlComponent", "<s-:s>", arity: 1) { call in
            try call.string(0).map { .string(try URLText.encode($0, keeping: URLText.unreserved, name: "encodeUrlComponent")) }
        }
        define(&t, "encodeUrl", "<s-:s>", arity: 1) { call in
            try call.string(0).map { .string(try URLText.encode($0, keeping: URLText.unreserved.union(URLText.reserved), name: "encodeUrl")) }
        }
        define(&t, "decodeUrlComponent", "<s-:s>", arity: 1) { call in
            try call.string(0).map { .string(try URLText.decode($0, keeping: [], name: "decodeUrlComponent")) }
        }
        define(&t, "decodeUrl", "<s-:s>", arity: 1) { call in
            try call.string(0).map { .string(try URLText.decode($0, keeping: URLText.reserved, name: "decodeUrl")) }
        }
    }

    /// `$substring` on code points, with JavaScript's `slice` rules for negative positions.
    static func substring(_ s: String, _ start: Double, _ length: Double?) -> String {
        let scalars = Array(s.unicodeScalars)
        let count = scalars.count
        var start = start
        if Double(count) + start < 0 { start = 0 }
        func position(_ p: Double) -> Int {
            let i = p.isInfinite ? (p < 0 ? -count : count) : Int(p.rounded(.towardZero).clamped)
            return i < 0 ? max(0, count + i) : min(i, count)
        }
        let from = position(start)
        var to = count
        if let length {
            if length <= 0 { return "" }
            let end = start >= 0 ? start + length : Double(count) + start + length
            to = position(end)
        }
        guard from < to else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[from..<to])
        return String(view)
    }

    static func indexOf(_ pattern: [UInt16], in units: [UInt16], from: Int) -> Int? {
        if pattern.isEmpty { return from <= units.count ? from : nil }
        guard units.count >= pattern.count else { return nil }
        var i = from
        while i <= units.count - pattern.count {
            if units[i] == pattern[0], units[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    /// JavaScript's `String.prototype.split` with a string separator.
    static func splitString(_ s: String, _ separator: String, limit: Int?) -> [String] {
        let units = Array(s.utf16)
        let sep = Array(separator.utf16)
        var parts: [String] = []
        if let limit, limit == 0 { return [] }
        if sep.isEmpty {
            for unit in units { parts.append(String(decoding: [unit], as: UTF16.self)) }
            // Keep surrogate pairs whole rather than splitting them.
            parts = s.unicodeScalars.map { String($0) }
        } else {
            var start = 0
            while let at = indexOf(sep, in: units, from: start) {
                parts.append(String(decoding: units[start..<at], as: UTF16.self))
                start = at + sep.count
            }
            parts.append(String(decoding: units[start...], as: UTF16.self))
        }
        if let limit, parts.count > limit { parts = Array(parts.prefix(limit)) }
        return parts
    }

    private static func replace(_ s: String, _ pattern: Value?, _ replacement: Value?, limit: Int?, _ call: NativeCall) throws -> String {
        if let limit, limit == 0 { return s }
        let ns = s as NSString
        var result = ""
        var position = 0
        var count = 0
        switch pattern {
        case .string(let p)?:
            let units = Array(s.utf16)
            let pat = Array(p.utf16)
            while let at = indexOf(pat, in: units, from: position), limit.map({ count < $0 }) ?? true {
                result += String(decoding: units[position..<at], as: UTF16.self)
                let match = RegexPattern.Match(text: p, start: at, end: at + pat.count, groups: [])
                result += try substitute(replacement, match, call)
                position = at + pat.count
                count += 1
            }
            result += String(decoding: units[position...], as: UTF16.self)
            return result
        case .function(let f)?:
            var matches = try RegexMatches(f, in: ns, evaluator: call.evaluator, env: call.environment)
            while limit.map({ count < $0 }) ?? true, let match = try matches.next() {
                result += ns.substring(with: NSRange(location: position, length: max(0, match.start - position)))
                result += try substitute(replacement, match, call)
                position = match.end
                count += 1
            }
            result += ns.substring(from: min(position, ns.length))
            return result
        default:
            return s
        }
    }

    /// The text that replaces a match: a string with `$0`, `$1`... and `$$`, or a function's
    /// answer for the match object.
    private static func substitute(_ replacement: Value?, _ match: RegexPattern.Match, _ call: NativeCall) throws -> String {
        switch replacement {
        case .string(let template)?:
            let chars = Array(template.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            while i < chars.count {
                guard chars[i] == "$" else {
                    out.append(chars[i])
                    i += 1
                    continue
                }
                i += 1
                guard i < chars.count else {
                    out.append("$")
                    break
                }
                if chars[i] == "$" {
                    out.append("$")
                    i += 1
                } else if chars[i] == "0" {
                    out.append(contentsOf: match.text.unicodeScalars)
                    i += 1
                } else {
                    let groups = match.groups.count
                    let maxDigits = groups == 0 ? 1 : Int(log10(Double(groups)).rounded(.down)) + 1
                    func digits(_ n: Int) -> Int? {
                        var text = ""
                        var j = i
                        while j < chars.count, text.count < n, let d = chars[j].properties.numericType, d == .decimal {
                            text.unicodeScalars.append(chars[j])
                            j += 1
                        }
                        return Int(text)
                    }
                    var index = digits(maxDigits)
                    if maxDigits > 1, let found = index, found > groups { index = digits(maxDigits - 1) }
                    if let index {
                        if groups > 0, index >= 1, index <= groups {
                            out.append(contentsOf: match.groups[index - 1].unicodeScalars)
                        }
                        i += String(index).count
                    } else {
                        out.append("$")
                    }
                }
            }
            return String(out)
        case .function(let f)?:
            let object = ValueObject()
            object["match"] = .string(match.text)
            object["index"] = .number(Double(match.start))
            object["groups"] = .array(match.groups.map { .string($0) })
            let answer = try call.evaluator.apply(.function(f), [.object(object)], nil, call.environment)
            guard case .string(let text)? = answer else { throw JSONataError("D3012", value: answer) }
            return text
        default:
            return ""
        }
    }

    /// The match object a regular expression called as a function returns.
    static func matchObject(_ regex: RegexPattern, in text: String, from: Int, evaluator: Evaluator) -> Value? {
        guard let match = regex.firstMatch(in: text as NSString, from: from) else { return nil }
        let object = ValueObject()
        object["match"] = .string(match.text)
        object["start"] = .number(Double(match.start))
        object["end"] = .number(Double(match.end))
        object["groups"] = .array(match.groups.map { .string($0) })
        return .object(object)
    }
}

/// Successive matches of a regular expression (or of a function written to behave like one),
/// as JSONata's matcher protocol yields them: a second empty match is an error (D1004), since
/// matching would never move on.
struct RegexMatches {
    private let regex: RegexPattern?
    private let function: FunctionValue
    private let text: NSString
    private let evaluator: Evaluator
    private let env: Environment
    private var lastEnd: Int?
    private var pendingNext: FunctionValue?

    init(_ function: FunctionValue, in text: NSString, evaluator: Evaluator, env: Environment) throws {
        self.function = function
        self.text = text
        self.evaluator = evaluator
        self.env = env
        if case .regex(let regex) = function.body { self.regex = regex } else { self.regex = nil }
    }

    mutating func next() throws -> RegexPattern.Match? {
        var from = 0
        if let lastEnd {
            guard lastEnd < text.length else { return nil }
            from = lastEnd
        }
        let match: RegexPattern.Match?
        if let regex {
            match = regex.firstMatch(in: text, from: from)
        } else {
            match = try customMatch()
        }
        guard let match else { return nil }
        if lastEnd != nil, match.text.isEmpty {
            throw JSONataError("D1004", value: .string(regex?.source ?? ""))
        }
        lastEnd = match.end
        return match
    }

    /// A user function used as a matcher returns `{match, start, end, groups, next}`.
    private mutating func customMatch() throws -> RegexPattern.Match? {
        let answer: Value?
        if lastEnd == nil {
            answer = try evaluator.apply(.function(function), [.string(text as String)], nil, env)
        } else if let pendingNext {
            answer = try evaluator.apply(.function(pendingNext), [], nil, env)
        } else {
            return nil
        }
        guard let answer else { return nil }
        guard case .object(let o) = answer, case .string(let m)? = o["match"], case .number(let start)? = o["start"],
            case .number(let end)? = o["end"]
        else { throw JSONataError("T1010") }
        pendingNext = o["next"]?.functionValue
        let groups = o["groups"]?.asItems.compactMap(\.stringValue) ?? []
        return RegexPattern.Match(text: m, start: Int(start), end: Int(end), groups: groups)
    }
}

extension Data {
    /// The bytes `btoa` would encode: Latin-1 when every character fits, else UTF-8.
    init(latin1OrUTF8 s: String) {
        if s.unicodeScalars.allSatisfy({ $0.value < 256 }) {
            self.init(s.unicodeScalars.map { UInt8($0.value) })
        } else {
            self.init(s.utf8)
        }
    }
}
