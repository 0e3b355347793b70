import JSONCore

/// AWS's rules for workflow variables: names have at most 80 characters, `states` is reserved, and a state in a Parallel branch or Map iteration must not assign a name that a
/// scope around it assigns (variables are never shadowed). A Distributed Map's children see no
/// outer variables, so they start a scope of their own.
extension DefinitionDecoder {
    static let maximumVariableName = 80

    mutating func checkVariables(_ root: StateMachineDefinition) {
        checkVariables(in: root, outer: [:])
    }

    /// Checks one scope; `outer` maps the names assigned around it to where.
    private mutating func checkVariables(in machine: StateMachineDefinition, outer: [String: String]) {
        var assigned: [(name: String, path: String)] = []
        for name in machine.stateNames {
            guard let state = machine.states[name] else { continue }
            assigned += names(state.assign, at: state.path + "/Assign")
            if case .choice(let choice) = state.kind {
                for (i, rule) in choice.choices.enumerated() {
                    assigned += names(rule.assign, at: state.path + "/Choices/\(i)/Assign")
                }
            }
            for (i, catcher) in state.catchers.enumerated() {
                assigned += names(catcher.assign, at: state.path + "/Catch/\(i)/Assign")
            }
        }
        var scope = outer
        for (name, path) in assigned {
            if let around = outer[name] {
                d.add(path, "The variable '\(name)' is already assigned in an enclosing scope (at \(around)); variables cannot be shadowed")
            } else if scope[name] == nil {
                scope[name] = path
            }
        }
        for name in machine.stateNames {
            guard let state = machine.states[name] else { continue }
            switch state.kind {
            case .parallel(let branches):
                for branch in branches { checkVariables(in: branch, outer: scope) }
            case .map(let map):
                checkVariables(in: map.processor, outer: map.isDistributed ? [:] : scope)
            default:
                break
            }
        }
    }

    /// The variable names an `Assign` sets, each checked.
    private mutating func names(_ assign: JSONValue?, at path: String) -> [(String, String)] {
        guard case .object(let object)? = assign else { return [] }
        var found: [(String, String)] = []
        for member in object.members {
            let name = member.key.hasSuffix(".$") ? String(member.key.dropLast(2)) : member.key
            let place = path + "/" + member.key
            if name == "states" {
                d.add(place, "The variable name 'states' is reserved")
            } else if name.count > Self.maximumVariableName {
                d.add(place, "The variable name '\(name)' is longer than \(Self.maximumVariableName) characters")
            }
            found.append((name, place))
        }
        return found
    }
}
