import ASLErrors
import ASLModel
import Foundation
import JSONCore
import PathExpressions

/// Evaluates JSONPath Choice rules with AWS's rules: a comparison whose variable has the wrong
/// type is false, not an error; `IsPresent` tests presence; strings compare by UTF-16 code
/// units; `StringMatches` knows only `*` (escaped `\*`, `\\`).
struct ChoiceEvaluation {
    let flow: DataFlow

    func evaluate(_ rule: ChoiceRule, in scope: DataScope) throws(ExecutionFailure) -> Bool {
        switch rule {
        case .and(let rules, _, _):
            for inner in rules where try !evaluate(inner, in: scope) { return false }
            return true
        case .or(let rules, _, _):
            for inner in rules where try evaluate(inner, in: scope) { return true }
            return false
        case .not(let inner, _, _):
            return try !evaluate(inner, in: scope)
        case .condition:
            throw flow.runtime("JSONata conditions are not supported yet")
        case .comparison(let variable, let op, let operand, _, _):
            let value: JSONValue?
            do { value = try variable.select(in: scope) } catch where error.kind == .pathNotFound {
                value = nil
            } catch {
                throw flow.runtime("Invalid path '\(variable.text)' : \(error.message)")
            }
            if op == .isPresent {
                return (value != nil) == (operand.literal?.boolValue ?? true)
            }
            guard let value else {
                throw flow.runtime("Invalid path '\(variable.text)': The choice state's condition path references an invalid value.")
            }
            let other: JSONValue
            switch operand {
            case .value(let literal): other = literal
            case .path(let selector):
                do { other = try selector.select(in: scope) } catch {
                    throw flow.runtime("Invalid path '\(selector.text)' : \(error.message)")
                }
            }
            return try Self.compare(value, op, other)
        }
    }

    static func compare(_ value: JSONValue, _ op: ComparisonOperator, _ other: JSONValue) throws(ExecutionFailure) -> Bool {
        switch op {
        case .isNull: return value.isNull == (other.boolValue ?? true)
        case .isNumeric: return value.isNumber == (other.boolValue ?? true)
        case .isString: return (value.stringValue != nil) == (other.boolValue ?? true)
        case .isBoolean: return (value.boolValue != nil) == (other.boolValue ?? true)
        case .isTimestamp:
            let isTimestamp = value.stringValue.flatMap(Timestamps.parse) != nil
            return isTimestamp == (other.boolValue ?? true)
        case .isPresent: return true
        case .booleanEquals:
            guard let a = value.boolValue, let b = other.boolValue else { return false }
            return a == b
        case .stringMatches:
            guard let text = value.stringValue, let pattern = other.stringValue else { return false }
            return StringPattern(pattern).matches(text)
        case .stringEquals, .stringLessThan, .stringGreaterThan, .stringLessThanEquals, .stringGreaterThanEquals:
            guard let a = value.stringValue, let b = other.stringValue else { return false }
            let order: Int = a.isExactlyEqual(to: b) ? 0 : (a.utf16.lexicographicallyPrecedes(b.utf16) ? -1 : 1)
            return holds(op, order)
        case .numericEquals, .numericLessThan, .numericGreaterThan, .numericLessThanEquals, .numericGreaterThanEquals:
            guard value.isNumber, other.isNumber else { return false }
            return holds(op, numericOrder(value, other))
        case .timestampEquals, .timestampLessThan, .timestampGreaterThan, .timestampLessThanEquals, .timestampGreaterThanEquals:
            guard let a = value.stringValue.flatMap(Timestamps.parse), let b = other.stringValue.flatMap(Timestamps.parse) else { return false }
            return holds(op, a == b ? 0 : (a < b ? -1 : 1))
        }
    }

    static func numericOrder(_ a: JSONValue, _ b: JSONValue) -> Int {
        if case .int(let x) = a, case .int(let y) = b { return x == y ? 0 : (x < y ? -1 : 1) }
        let x = a.doubleValue ?? .nan, y = b.doubleValue ?? .nan
        return x == y ? 0 : (x < y ? -1 : 1)
    }

    static func holds(_ op: ComparisonOperator, _ order: Int) -> Bool {
        switch op {
        case .stringEquals, .numericEquals, .timestampEquals: order == 0
        case .stringLessThan, .numericLessThan, .timestampLessThan: order < 0
        case .stringGreaterThan, .numericGreaterThan, .timestampGreaterThan: order > 0
        case .stringLessThanEquals, .numericLessThanEquals, .timestampLessThanEquals: order <= 0
        case .stringGreaterThanEquals, .numericGreaterThanEquals, .timestampGreaterThanEquals: order >= 0
        default: false
        }
    }
}

extension ChoiceOperand {
    var literal: JSONValue? { if case .value(let v) = self { v } else { nil } }
}

/// A `StringMatches` pattern: `*` matches any run of characters; `\*` and `\\` are literal.
struct StringPattern {
    enum Piece { case literal(Character), star }
    let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var chars = pattern[...]
        while let c = chars.popFirst() {
            if c == "\\", let next = chars.popFirst() { pieces.append(.literal(next)) } else if c == "*" { pieces.append(.star) } else { pieces.append(.literal(c)) }
        }
        self.pieces = pieces
    }

    func matches(_ text: String) -> Bool {
        let chars = Array(text)
        // Classic wildcard matching with backtracking to the last star.
        var p = 0, t = 0, starP = -1, starT = 0
        while t < chars.count {
            if p < pieces.count, case .literal(let c) = pieces[p], c == chars[t] {
                p += 1
                t += 1
            } else if p < pieces.count, case .star = pieces[p] {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pieces.count, case .star = pieces[p] { p += 1 }
        return p == pieces.count
    }
}
