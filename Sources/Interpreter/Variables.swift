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
}
