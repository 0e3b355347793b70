import JSONCore

/// Workflow variables of one scope: the top level, a Parallel branch, or a Map iteration.
/// Inner scopes read the outer ones; assignments go to the scope of the state that assigns.
final class VariableScope: @unchecked Sendable {
    // @unchecked: a scope is written only by the one task that runs its states in sequence;
    // inner scopes (other tasks) only read the outer ones, which do not change while the
    // Parallel or Map state that created them runs.
    private var values = JSONObject()
    let parent: VariableScope?

    init(parent: VariableScope?) { self.parent = parent }

    /// Every variable visible here, inner names first.
    var visible: JSONObject {
        var all = parent?.visible ?? JSONObject()
        for member in values.members { all[member.key] = member.value }
        return all
    }

    func assign(_ assignments: JSONObject) {
        for member in assignments.members { values[member.key] = member.value }
    }

    /// AWS's limits on variables: 256 KiB for one variable and for one `Assign`, 10 MiB for all
    /// the variables of an execution.
    static let variableLimit = 262_144
    static let assignLimit = 262_144
    static let totalLimit = 10_485_760

    /// Why `assignments` may not be made here, if they may not.
    func limitProblem(_ assignments: JSONObject) -> String? {
        var assignBytes = 0
        for member in assignments.members {
            let bytes = member.value.encodedByteCount
            if bytes > Self.variableLimit {
                return "The value of the variable '\(member.key)' is \(bytes) bytes, more than the limit of \(Self.variableLimit) bytes"
            }
            assignBytes += bytes
        }
        if assignBytes > Self.assignLimit {
            return "The variables assigned by one Assign are \(assignBytes) bytes, more than the limit of \(Self.assignLimit) bytes"
        }
        // What the execution holds after the assignment: this scope's other variables, the
        // scopes around it, and the new values.
        var total = 0
        var scope: VariableScope? = self
        while let current = scope {
            for member in current.values.members where assignments[member.key] == nil || current !== self {
                total += member.value.encodedByteCount
            }
            scope = current.parent
        }
        total += assignBytes
        if total > Self.totalLimit {
            return "The variables of the execution would be \(total) bytes, more than the limit of \(Self.totalLimit) bytes"
        }
        return nil
    }
}
