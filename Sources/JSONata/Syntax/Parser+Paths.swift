/// The second pass: chains of `.` become paths of steps; `[...]`, `{...}`, `^(...)`, `@` and
/// `#` become annotations on the step they follow; `%` references are resolved to the step
/// whose input they name; tail calls in lambdas become thunks.
extension Parser {
    mutating func process(_ expr: Node) throws(JSONataError) -> Node {
        let result: Node
        switch expr.kind {
        case .binary:
            result = try processBinary(expr)
        case .unary:
            let node = Node(.unary, position: expr.position)
            node.op = expr.op
            switch expr.op {
            case "[":
                for item in expr.expressions {
                    let value = try process(item)
                    pushAncestry(node, value)
                    node.expressions.append(value)
                }
                result = node
            case "{":
                for (k, v) in expr.pairs {
                    let key = try process(k)
                    pushAncestry(node, key)
                    let value = try process(v)
                    pushAncestry(node, value)
                    node.pairs.append((key, value))
                }
                node.objectSpec = Node.GroupSpec(pairs: node.pairs, position: node.position)
                result = node
            default:
                let operand = try process(expr.lhs!)
                if operand.kind == .literal, case .number(let n)? = operand.literal {
                    operand.literal = .number(-n)
                    result = operand
                } else {
                    node.lhs = operand
                    pushAncestry(node, operand)
                    result = node
                }
            }
        case .function, .partial:
            let node = Node(expr.kind, position: expr.position)
            for arg in expr.arguments {
                let processed = try process(arg)
                pushAncestry(node, processed)
                node.arguments.append(processed)
            }
            node.procedure = try process(expr.procedure!)
            result = node
        case .lambda:
            let node = Node(.lambda, position: expr.position)
            node.arguments = expr.arguments
            node.signature = expr.signature
            node.body = tailCallOptimized(try process(expr.body!))
            result = node
        case .condition:
            let node = Node(.condition, position: expr.position)
            node.condition = try process(expr.condition!)
            pushAncestry(node, node.condition!)
            node.then = try process(expr.then!)
            pushAncestry(node, node.then!)
            if let otherwise = expr.otherwise {
                node.otherwise = try process(otherwise)
                pushAncestry(node, node.otherwise!)
            }
            result = node
        case .transform:
            let node = Node(.transform, position: expr.position)
            node.pattern = try process(expr.pattern!)
            node.update = try process(expr.update!)
            if let delete = expr.delete { node.delete = try process(delete) }
            result = node
        case .block:
            let node = Node(.block, position: expr.position)
            for item in expr.expressions {
                let part = try process(item)
                pushAncestry(node, part)
                if part.isConstructedArray || (part.kind == .path && part.steps[0].isConstructedArray) {
                    node.isConstructedArray = true
                }
                node.expressions.append(part)
            }
            node.bindsVariables = node.expressions.contains(where: Self.binds)
            result = node
        case .name:
            let node = Node(.path, position: expr.position)
            node.steps = [expr]
            if expr.keepArray { node.keepSingletonArray = true }
            result = node
        case .operatorName:
            expr.kind = .name
            return try process(expr)
        case .parent:
            let node = Node(.parent, position: expr.position)
            node.slot = ParentSlot(label: "!\(parentLabels)", level: 1, index: ancestry.count)
            parentLabels += 1
            ancestry.append(node)
            result = node
        case .literal, .wildcard, .descendant, .variable, .regex, .placeholder:
            result = expr
        case .end:
            throw JSONataError("S0207", position: expr.position, token: "(end)")
        default:
            throw JSONataError("S0206", position: expr.position, token: "\(expr.kind)")
        }
        if expr.keepArray { result.keepArray = true }
        return result
    }

    private mutating func processBinary(_ expr: Node) throws(JSONataError) -> Node {
        switch expr.op {
        case ".":
            let lstep = try process(expr.lhs!)
            let result: Node
            if lstep.kind == .path {
                result = lstep
            } else {
                result = Node(.path, position: lstep.position)
                result.steps = [lstep]
            }
            if lstep.kind == .parent { result.seekingParent = [lstep.slot!] }
            let rest = try process(expr.rhs!)
            if rest.kind == .path {
                result.steps.append(contentsOf: rest.steps)
            } else {
                if let predicate = rest.predicate {
                    rest.stages = predicate
                    rest.predicate = nil
                }
                result.steps.append(rest)
            }
            for step in result.steps where step.kind == .literal {
                guard case .string(let s)? = step.literal else {
                    throw JSONataError("S0213", position: step.position, value: step.literal)
                }
                step.kind = .name
                step.name = s
            }
            if result.steps.contains(where: { $0.keepArray }) { result.keepSingletonArray = true }
            if result.steps[0].isArrayConstructor { result.steps[0].isConstructedArray = true }
            if let last = result.steps.last, last.isArrayConstructor { last.isConstructedArray = true }
            try resolveAncestry(result)
            return result
        case "[":
            let result = try process(expr.lhs!)
            var step = result
            var asStages = false
            if result.kind == .path {
                step = result.steps[result.steps.count - 1]
                asStages = true
            }
            if step.group != nil { throw JSONataError("S0209", position: expr.position) }
            let predicate = try process(expr.rhs!)
            if let seeking = predicate.seekingParent {
                for slot in seeking {
                    if slot.level == 1 {
                        _ = try seekParent(step, slot)
                    } else {
                        slot.level -= 1
                    }
                }
                pushAncestry(step, predicate)
            }
            let stage = Node.Stage.filter(predicate, position: expr.position)
            if asStages {
                step.stages = (step.stages ?? []) + [stage]
            } else {
                step.predicate = (step.predicate ?? []) + [stage]
            }
            return result
        case "{":
            let result = try process(expr.lhs!)
            if result.group != nil { throw JSONataError("S0210", position: expr.position) }
            var pairs: [(Node, Node)] = []
            for (k, v) in expr.pairs { pairs.append((try process(k), try process(v))) }
            result.group = Node.GroupSpec(pairs: pairs, position: expr.position)
            return result
        case "^":
            var result = try process(expr.lhs!)
            if result.kind != .path {
                let path = Node(.path, position: result.position)
                path.steps = [result]
                result = path
            }
            let sortStep = Node(.sort, position: expr.position)
            for term in expr.terms {
                let expression = try process(term.expression)
                pushAncestry(sortStep, expression)
                sortStep.terms.append(Node.SortTerm(descending: term.descending, expression: expression))
            }
            result.steps.append(sortStep)
            try resolveAncestry(result)
            return result
        case ":=":
            let node = Node(.bind, position: expr.position)
            node.lhs = try process(expr.lhs!)
            node.rhs = try process(expr.rhs!)
            pushAncestry(node, node.rhs!)
            return node
        case "@":
            let result = try process(expr.lhs!)
            let step = result.kind == .path ? result.steps[result.steps.count - 1] : result
            if step.stages != nil || step.predicate != nil { throw JSONataError("S0215", position: expr.position) }
            if step.kind == .sort { throw JSONataError("S0216", position: expr.position) }
            if expr.keepArray { step.keepArray = true }
            step.focus = expr.rhs!.name
            step.tuple = true
            return result
        case "#":
            var result = try process(expr.lhs!)
            var step = result
            if result.kind == .path {
                step = result.steps[result.steps.count - 1]
            } else {
                let path = Node(.path, position: result.position)
                path.steps = [result]
                result = path
                if let predicate = step.predicate {
                    step.stages = predicate
                    step.predicate = nil
                }
            }
            if step.stages == nil {
                step.indexVariable = expr.rhs!.name
            } else {
                step.stages!.append(.index(expr.rhs!.name))
            }
            step.tuple = true
            return result
        case "~>":
            let node = Node(.apply, position: expr.position)
            node.op = "~>"
            node.lhs = try process(expr.lhs!)
            node.rhs = try process(expr.rhs!)
            return node
        default:
            let node = Node(.binary, position: expr.position)
            node.op = expr.op
            node.lhs = try process(expr.lhs!)
            node.rhs = try process(expr.rhs!)
            pushAncestry(node, node.lhs!)
            pushAncestry(node, node.rhs!)
            return node
        }
    }

    /// Whether evaluating `node` may bind a variable in the frame it is evaluated in.
    static func binds(_ node: Node) -> Bool {
        switch node.kind {
        case .bind: return true
        case .block, .lambda: return false
        default: return node.children.contains(where: binds)
        }
    }

    /// A lambda whose body ends in a function call returns a thunk for that call instead, so
    /// tail-recursive functions run in constant stack.
    private func tailCallOptimized(_ expr: Node) -> Node {
        switch expr.kind {
        case .function where expr.predicate == nil:
            let thunk = Node(.lambda, position: expr.position)
            thunk.isThunk = true
            thunk.body = expr
            return thunk
        case .condition:
            expr.then = tailCallOptimized(expr.then!)
            if let otherwise = expr.otherwise { expr.otherwise = tailCallOptimized(otherwise) }
            return expr
        case .block:
            if let last = expr.expressions.last {
                expr.expressions[expr.expressions.count - 1] = tailCallOptimized(last)
            }
            return expr
        default:
            return expr
        }
    }

    // MARK: Parent references

    private func seekParent(_ node: Node, _ slot: ParentSlot) throws(JSONataError) -> ParentSlot {
        var slot = slot
        switch node.kind {
        case .name, .wildcard:
            slot.level -= 1
            if slot.level == 0 {
                if let existing = node.ancestor {
                    slot.label = existing.label
                }
                node.ancestor = slot
                node.tuple = true
            }
        case .parent:
            slot.level += 1
        case .block:
            if let last = node.expressions.last {
                node.tuple = true
                slot = try seekParent(last, slot)
            }
        case .path:
            node.tuple = true
            var index = node.steps.count - 1
            slot = try seekParent(node.steps[index], slot)
            index -= 1
            while slot.level > 0, index >= 0 {
                slot = try seekParent(node.steps[index], slot)
                index -= 1
            }
        default:
            throw JSONataError("S0217", position: node.position, token: "\(node.kind)")
        }
        return slot
    }

    private func pushAncestry(_ result: Node, _ value: Node) {
        guard value.seekingParent != nil || value.kind == .parent else { return }
        var slots = value.seekingParent ?? []
        if value.kind == .parent, let slot = value.slot { slots.append(slot) }
        result.seekingParent = (result.seekingParent ?? []) + slots
    }

    private func resolveAncestry(_ path: Node) throws(JSONataError) {
        let last = path.steps[path.steps.count - 1]
        var slots = last.seekingParent ?? []
        if last.kind == .parent, let slot = last.slot { slots.append(slot) }
        for var slot in slots {
            var index = path.steps.count - 2
            while slot.level > 0 {
                if index < 0 {
                    path.seekingParent = (path.seekingParent ?? []) + [slot]
                    break
                }
                var step = path.steps[index]
                index -= 1
                while index >= 0, step.focus != nil, path.steps[index].focus != nil {
                    step = path.steps[index]
                    index -= 1
                }
                slot = try seekParent(step, slot)
            }
        }
    }
}
