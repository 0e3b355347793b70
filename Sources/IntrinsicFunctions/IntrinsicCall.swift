import JSONCore
import PathExpressions

/// A parsed intrinsic function call such as `States.Format('{} items', $.count)`.
public struct IntrinsicCall: Sendable, Hashable, CustomStringConvertible {
    /// The function's full name, e.g. `States.Format`.
    public let name: String
    public let function: IntrinsicFunction
    public let arguments: [IntrinsicArgument]
    /// The call as written.
    public let text: String

    public var description: String { text }

    /// Whether `text` looks like an intrinsic call (`States.` followed by a name and `(`), the
    /// test AWS applies to the value of a `.$` field before parsing it.
    public static func looksLikeCall(_ text: String) -> Bool {
        guard text.hasPrefix("States.") else { return false }
        return text.dropFirst(7).drop { $0.isLetter || $0.isNumber }.drop { $0 == " " }.first == "("
    }
}

/// One argument of an intrinsic call.
public indirect enum IntrinsicArgument: Sendable, Hashable {
    /// A number, `true`, `false` or `null`.
    case literal(JSONValue)
    /// A quoted string: `raw` keeps the escapes as written (States.Format needs them to tell
    /// `\{` from `{`), `value` is the string they denote.
    case string(raw: String, value: String)
    /// `$...`, `$$...` or `$name...`.
    case path(Selector)
    /// A nested call.
    case call(IntrinsicCall)
}

/// The 18 intrinsic functions of the States Language.
public enum IntrinsicFunction: String, Sendable, Hashable, CaseIterable {
    case format = "States.Format"
    case stringToJson = "States.StringToJson"
    case jsonToString = "States.JsonToString"
    case array = "States.Array"
    case arrayPartition = "States.ArrayPartition"
    case arrayContains = "States.ArrayContains"
    case arrayRange = "States.ArrayRange"
    case arrayGetItem = "States.ArrayGetItem"
    case arrayLength = "States.ArrayLength"
    case arrayUnique = "States.ArrayUnique"
    case base64Encode = "States.Base64Encode"
    case base64Decode = "States.Base64Decode"
    case hash = "States.Hash"
    case jsonMerge = "States.JsonMerge"
    case mathRandom = "States.MathRandom"
    case mathAdd = "States.MathAdd"
    case stringSplit = "States.StringSplit"
    case uuid = "States.UUID"

    /// The positions of the arguments that must be numbers: a literal of another type there
    /// is a definition error.
    var numericArguments: Set<Int> {
        switch self {
        case .mathAdd: [0, 1]
        case .mathRandom, .arrayRange: [0, 1, 2]
        case .arrayPartition, .arrayGetItem: [1]
        default: []
        }
    }

    /// How many arguments the function takes.
    var arity: ClosedRange<Int> {
        switch self {
        case .format: 1...Int.max
        case .array: 0...Int.max
        case .uuid: 0...0
        case .stringToJson, .jsonToString, .arrayLength, .arrayUnique, .base64Encode, .base64Decode: 1...1
        case .arrayPartition, .arrayContains, .arrayGetItem, .hash, .mathAdd, .stringSplit: 2...2
        case .arrayRange, .jsonMerge: 3...3
        case .mathRandom: 2...3
        }
    }
}
