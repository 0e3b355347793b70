import Foundation

/// JSONata's built-in functions (2.0.6, without `$eval`) and the ones AWS Step Functions adds.
enum Builtins {
    /// The frame every evaluation starts from. Nothing binds into it after it is built.
    nonisolated(unsafe) static let root: Environment = {
        let frame = Environment(parent: nil)
        var table: [String: NativeFunction] = [:]
        registerStrings(into: &table)
        registerNumbers(into: &table)
        registerCollections(into: &table)
        registerHigherOrder(into: &table)
        registerDateTime(into: &table)
        registerStepFunctions(into: &table)
        for (name, function) in table {
            frame.bind(name, .function(FunctionValue(.native(function), signature: function.signature)))
        }
        return frame
    }()

    static func define(
        _ table: inout [String: NativeFunction], _ name: String, _ signature: String, arity: Int,
        _ body: @escaping NativeFunction.Body
    ) {
        table[name] = NativeFunction(name: name, signature: try! Signature(signature), arity: arity, body: body)
    }

    /// `$string`: strings as they are, functions as "", everything else as JSON with numbers
    /// to 15 significant digits; Infinity and NaN cannot be written (D3001).
    static func stringValue(_ value: Value, pretty: Bool) throws -> String {
        switch value {
        case .string(let s): return s
        case .function: return ""
        case .number(let n):
            guard n.isFinite else { throw JSONataError("D3001", value: value) }
            return NumberText.javaScript(NumberText.roundedTo15(n))
        default:
            if value.containsNonFiniteNumber { throw JSONataError("D1001", value: value) }
            return JSONText.stringify(value, forString: true, pretty: pretty)
        }
    }
}

extension NativeCall {
    func string(_ i: Int) -> String? { self[i]?.stringValue }
    func number(_ i: Int) -> Double? { self[i]?.numberValue }
    func function(_ i: Int) -> FunctionValue? { self[i]?.functionValue }
    func items(_ i: Int) -> [Value]? { self[i].map(\.asItems) }
}
