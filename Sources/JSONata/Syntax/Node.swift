/// A node of a parsed JSONata expression.
///
/// The parser builds these in two passes, as JSONata's reference implementation does: a Pratt
/// parser makes a tree of operators, then `Parser.process` turns chains of `.` and `[...]` into
/// paths of steps with their predicates, group-bys, sort terms and variable bindings, and
/// resolves `%` (parent) references. Nodes are not changed after parsing.
final class Node: @unchecked Sendable {
    enum Kind {
        // First pass (operators as written).
        case binary          // op: + - * / % = != < <= > >= & and or in .. . [ { ^ := @ # ~>
        case unary           // op: "-" (negation), "[" (array constructor), "{" (object constructor)
        case literal         // a string, number, true, false or null
        case name            // a field name
        case variable        // $name; "" is the context, "$" the root
        case wildcard        // *
        case descendant      // **
        case parent          // %
        case regex
        case condition       // c ? a : b
        case block           // ( a; b )
        case function        // f(args)
        case partial         // f(?, args)
        case lambda          // function($a){ ... }
        case transform       // | pattern | update, delete |
        case placeholder     // the ? of a partial application
        case end
        // Second pass.
        case path
        case bind            // $x := value
        case apply           // a ~> f
        case sort            // the ^(...) step of a path
        case operatorName    // and / or / in used as names before processing
    }

    var kind: Kind
    var op: String = "" {
        didSet { binaryOperator = BinaryOperator(rawValue: op) }
    }
    /// `op` of a binary node, decoded once.
    private(set) var binaryOperator: BinaryOperator?

    enum BinaryOperator: String {
        case plus = "+", minus = "-", times = "*", divide = "/", modulo = "%"
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case concatenate = "&", and, or, range = "..", `in`
    }
    var position: Int

    var literal: Value?
    var name: String = ""
    var regex: RegexPattern?

    var lhs: Node?
    var rhs: Node?
    var expressions: [Node] = []
    var pairs: [(Node, Node)] = []
    var terms: [SortTerm] = []
    var steps: [Node] = []
    var arguments: [Node] = []
    var procedure: Node?
    var body: Node?
    var signature: Signature?
    var condition: Node?
    var then: Node?
    var otherwise: Node?
    var pattern: Node?
    var update: Node?
    var delete: Node?

    // Annotations of the second pass.
    var predicate: [Stage]?
    var stages: [Stage]?
    var group: GroupSpec?
    var focus: String?
    var indexVariable: String?
    var tuple = false
    var ancestor: ParentSlot?
    var slot: ParentSlot?
    var seekingParent: [ParentSlot]?
    var keepArray = false
    var isConstructedArray = false
    var keepSingletonArray = false
    var isThunk = false
    /// A block some expression of which binds a variable (outside nested blocks and lambdas),
    /// so it needs a frame of its own.
    var bindsVariables = true
    /// A path of one plain field name: evaluated as a lookup.
    var isPlainName = false
    /// A path of plain field names, possibly after a variable (`$states.input.order.id`):
    /// evaluated as nested lookups while the values are objects.
    var isNameChain = false

    init(_ kind: Kind, position: Int) {
        self.kind = kind
        self.position = position
    }

    struct SortTerm {
        var descending: Bool
        var expression: Node
    }

    enum Stage {
        case filter(Node, position: Int)
        case index(String)
    }

    struct GroupSpec {
        var pairs: [(Node, Node)]
        var position: Int
        /// The keys, when every key is a distinct string literal (`{'id': ..., 'n': ...}`):
        /// known without evaluating anything.
        var literalKeys: [String]?

        init(pairs: [(Node, Node)], position: Int) {
            self.pairs = pairs
            self.position = position
            var keys: [String] = []
            for (key, _) in pairs {
                guard key.kind == .literal, key.predicate == nil, key.group == nil, case .string(let name)? = key.literal,
                    !keys.contains(name)
                else { return }
                keys.append(name)
            }
            literalKeys = keys
        }
    }

    /// An object constructor's pairs (`{...}` as an expression of its own).
    var objectSpec: GroupSpec?

    var isArrayConstructor: Bool { kind == .unary && op == "[" }

    /// Every node directly below this one, the second pass's annotations included.
    var children: [Node] {
        var found = [lhs, rhs, procedure, body, condition, then, otherwise, pattern, update, delete].compactMap { $0 }
        found += expressions + steps + arguments + terms.map(\.expression)
        for (key, value) in pairs + (group?.pairs ?? []) { found += [key, value] }
        for stage in (predicate ?? []) + (stages ?? []) {
            if case .filter(let expr, _) = stage { found.append(expr) }
        }
        return found
    }
}

/// Where a `%` finds its parent: a label bound in the tuple stream of a path, and how many
/// steps up it still has to go while the parser resolves it.
final class ParentSlot: @unchecked Sendable {
    var label: String
    var level: Int
    let index: Int

    init(label: String, level: Int, index: Int) {
        self.label = label
        self.level = level
        self.index = index
    }
}
