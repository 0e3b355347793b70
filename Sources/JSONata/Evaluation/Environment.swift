/// A frame of variable bindings; lookups go out through the enclosing frames.
///
/// A name bound to undefined still hides the same name further out, as in JSONata.
final class Environment {
    @exclusivity(unchecked) private var bindings: [String: Value?]
    let parent: Environment?

    init(parent: Environment?) {
        self.parent = parent
        bindings = [:]
    }

    init(parent: Environment?, bindings: [String: Value?]) {
        self.parent = parent
        self.bindings = bindings
    }

    func bind(_ name: String, _ value: Value?) {
        bindings[name] = .some(value)
    }

    func lookup(_ name: String) -> Value? {
        find(name) ?? nil
    }

    /// The binding of `name` in this frame or one around it: `.some(nil)` when it is bound to
    /// undefined, `nil` when it is not bound at all.
    func find(_ name: String) -> Value?? {
        var frame: Environment? = self
        while let current = frame {
            if let found = current.bindings[name] { return found }
            frame = current.parent
        }
        return nil
    }

    /// A frame holding a tuple's bindings (the step's context under `@` is not a variable).
    convenience init(parent: Environment, tuple: Tuple) {
        var bindings: [String: Value?] = Dictionary(minimumCapacity: tuple.count)
        for (name, value) in tuple { bindings[name] = .some(value) }
        self.init(parent: parent, bindings: bindings)
    }
}

/// One item of a tuple stream: the context value under `"@"` and the variables bound by `@`,
/// `#` and parent references along the path so far.
typealias Tuple = [String: Value]
