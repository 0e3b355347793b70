import Foundation
import JSONCore
import PathExpressions
import PayloadTemplates

/// Standard or Express: some rules apply to Express machines only.
public enum StateMachineType: String, Sendable, CaseIterable {
    case standard = "STANDARD"
    case express = "EXPRESS"
}

/// Decodes a definition into the typed model and validates it in the spirit of AWS's
/// statelint, collecting every problem with its JSON Pointer.
public struct DefinitionDecoder {
    var d = Diagnostics()
    let type: StateMachineType

    /// AWS's limit on the size of a definition.
    public static let maximumDefinitionSize = 1_048_576

    /// AWS's limit on state machine and state names.
    static let maximumNameLength = 80

    /// Decodes definition text: JSON, or YAML when it does not start like JSON. The model is
    /// `nil` when the text does not parse or the definition is too broken to build one; the
    /// diagnostics list every problem found.
    public static func decode(text: String, type: StateMachineType = .standard) -> (definition: StateMachineDefinition?, diagnostics: [Diagnostic]) {
        let size = text.utf8.count
        guard size <= maximumDefinitionSize else {
            return (nil, [Diagnostic(path: "/", message: "The definition is \(size) bytes, more than AWS's limit of \(maximumDefinitionSize) bytes (1 MiB)")])
        }
        let parsed: (value: JSONValue, duplicates: [JSONDuplicateKey])
        let looksLikeJSON = text.first { !$0.isWhitespace }.map { $0 == "{" || $0 == "[" || $0 == "\"" } ?? true
        if looksLikeJSON {
            do {
                parsed = try JSONParser.parseReportingDuplicateKeys(text)
            } catch {
                return (nil, [Diagnostic(path: "/", message: "The definition is not valid JSON: \(error)")])
            }
        } else {
            do {
                parsed = (try YAMLDefinition.parse(text), [])
            } catch {
                return (nil, [Diagnostic(path: "/", message: error.message)])
            }
        }
        var decoder = DefinitionDecoder(type: type)
        for duplicate in parsed.duplicates {
            decoder.d.add(duplicate.pointer, "Duplicate field '\(duplicate.key)'")
        }
        let definition = decoder.machine(parsed.value, at: "", language: .jsonPath, topLevel: true)
        if let definition {
            decoder.checkUniqueNames(definition)
            decoder.checkVariables(definition)
        }
        return (definition, decoder.d.items)
    }

    /// Decodes a parsed definition.
    public static func decode(_ value: JSONValue, type: StateMachineType = .standard) -> (definition: StateMachineDefinition?, diagnostics: [Diagnostic]) {
        var decoder = DefinitionDecoder(type: type)
        let definition = decoder.machine(value, at: "", language: .jsonPath, topLevel: true)
        if let definition { decoder.checkUniqueNames(definition) }
        return (definition, decoder.d.items)
    }

    // MARK: Machines and branches

    mutating func machine(_ value: JSONValue, at path: String, language inherited: QueryLanguage, topLevel: Bool) -> StateMachineDefinition? {
        guard let fields = FieldReader(value, at: path, topLevel ? "A state machine definition" : "A branch", &d) else { return nil }
        var allowed: Set<String> = ["StartAt", "States", "Comment"]
        if topLevel { allowed.formUnion(["Version", "TimeoutSeconds", "QueryLanguage"]) } else { allowed.insert("ProcessorConfig") }
        fields.rejectUnknown(allowed, topLevel ? "a state machine definition" : "a branch", &d)

        var language = inherited
        if topLevel, let text = fields.string("QueryLanguage", &d) {
            if let parsed = QueryLanguage(rawValue: text) { language = parsed } else {
                d.add(fields.at("QueryLanguage"), "The field 'QueryLanguage' must be JSONPath or JSONata, but is \"\(text)\"")
            }
        }
        let comment = fields.string("Comment", &d)
        let version = topLevel ? fields.string("Version", &d) : nil
        let timeout = topLevel ? fields.integer("TimeoutSeconds", 1...99_999_999, &d) : nil

        let missing = ["States", "StartAt"].filter { !fields.has($0) }
        if !missing.isEmpty {
            d.add(path, "These fields are required: [\(missing.joined(separator: ", "))]")
        }
        let startAt = fields.string("StartAt", &d)
        var names: [String] = []
        var states: [String: State] = [:]
        if let statesValue = fields["States"] {
            if case .object(let object) = statesValue {
                if object.isEmpty { d.add(fields.at("States"), "The field 'States' must have at least one state") }
                for member in object.members {
                    let statePath = pointer(fields.at("States"), member.key)
                    if member.key.isEmpty || member.key.count > Self.maximumNameLength {
                        d.add(statePath, "State names must be 1 to \(Self.maximumNameLength) characters long")
                    }
                    if let state = self.state(member.key, member.value, at: statePath, language: language) {
                        names.append(member.key)
                        states[member.key] = state
                    }
                }
            } else {
                d.add(fields.at("States"), "The field 'States' must be a JSON object, but is \(statesValue.typeName)")
            }
        }
        guard let startAt else { return nil }
        if fields["States"]?.objectValue?.contains(startAt) == false {
            d.add(fields.at("StartAt"), "StartAt \"\(startAt)\" does not name a state of this scope")
        }
        let definition = StateMachineDefinition(
            comment: comment, startAt: startAt, stateNames: names, states: states, timeoutSeconds: timeout,
            version: version, queryLanguage: language, path: path)
        checkTransitions(definition, declared: Set(fields["States"]?.objectValue?.keys ?? []))
        return definition
    }

    /// Every transition names a state of the same scope; every state can be reached; the scope
    /// can end.
    mutating func checkTransitions(_ machine: StateMachineDefinition, declared: Set<String>) {
        var edges: [String: [String]] = [:]
        for name in machine.stateNames {
            guard let state = machine.states[name] else { continue }
            var targets: [(String, String)] = []
            if case .next(let next) = state.transition { targets.append((next, pointer(state.path, "Next"))) }
            for (i, catcher) in state.catchers.enumerated() {
                targets.append((catcher.next, pointer(pointer(pointer(state.path, "Catch"), i), "Next")))
            }
            if case .choice(let choice) = state.kind {
                for (i, rule) in choice.choices.enumerated() {
                    if let next = rule.next { targets.append((next, pointer(pointer(pointer(state.path, "Choices"), i), "Next"))) }
                }
                if let fallback = choice.defaultState { targets.append((fallback, pointer(state.path, "Default"))) }
            }
            for (target, at) in targets where !declared.contains(target) {
                d.add(at, "Missing 'Next' target: \(target)")
            }
            edges[name] = targets.map(\.0)
        }
        var reached: Set<String> = []
        var queue = [machine.startAt]
        while let name = queue.popLast() {
            guard declared.contains(name), reached.insert(name).inserted else { continue }
            queue.append(contentsOf: edges[name] ?? [])
        }
        for name in machine.stateNames where !reached.contains(name) {
            d.add(pointer(pointer(machine.path, "States"), name), "State \"\(name)\" is not reachable")
        }
        let terminal = machine.states.values.contains { state in
            switch state.kind {
            case .succeed, .fail: true
            default: state.transition == .end
            }
        }
        if !machine.states.isEmpty && !terminal {
            d.add(pointer(machine.path, "States"), "No terminal state: no state has \"End\": true and there is no Succeed or Fail state")
        }
    }

    /// ASL: "State names MUST be unique within the scope of the whole state machine", across
    /// Parallel branches and Map item processors too.
    mutating func checkUniqueNames(_ root: StateMachineDefinition) {
        var seen: [String: String] = [:]
        func visit(_ machine: StateMachineDefinition, _ d: inout Diagnostics) {
            for name in machine.stateNames {
                guard let state = machine.states[name] else { continue }
                if let first = seen[name] {
                    d.add(state.path, "State name \"\(name)\" is already used at \(first); state names must be unique in the whole state machine")
                } else {
                    seen[name] = state.path
                }
                switch state.kind {
                case .parallel(let branches): for branch in branches { visit(branch, &d) }
                case .map(let map): visit(map.processor, &d)
                default: break
                }
            }
        }
        visit(root, &d)
    }

    // MARK: Shared field decoders

    /// A `.$`-style payload template; problems are reported at their place.
    mutating func template(_ fields: FieldReader, _ key: String) -> PayloadTemplate? {
        guard let value = fields[key] else { return nil }
        do {
            return try PayloadTemplate(value, location: fields.at(key))
        } catch {
            for problem in error.problems { d.add(problem.location, problem.message) }
            return nil
        }
    }

    mutating func optionalPath(_ fields: FieldReader, _ key: String) -> OptionalPath {
        guard let value = fields[key] else { return .whole }
        switch value {
        case .null: return .empty
        case .string(let text):
            do { return .path(try Selector(text)) } catch {
                d.add(fields.at(key), "The value for the field '\(key)' must be a valid JSONPath: \(error.message)")
            }
        default:
            d.add(fields.at(key), "The field '\(key)' must be a string or null, but is \(value.typeName)")
        }
        return .whole
    }

    mutating func resultPath(_ fields: FieldReader, _ key: String = "ResultPath") -> ResultPathSpec {
        guard let value = fields[key] else { return .whole }
        switch value {
        case .null: return .discard
        case .string(let text):
            do {
                let path = try ReferencePath(text)
                if case .variable = path.root {
                    d.add(fields.at(key), "The field '\(key)' must not reference a variable: \(text)")
                } else {
                    return .path(path)
                }
            } catch {
                d.add(fields.at(key), "The value for the field '\(key)' must be a valid Reference Path: \(error.message)")
            }
        default:
            d.add(fields.at(key), "The field '\(key)' must be a string or null, but is \(value.typeName)")
        }
        return .whole
    }

    mutating func referencePath(_ fields: FieldReader, _ key: String) -> ReferencePath? {
        guard let value = fields[key] else { return nil }
        guard case .string(let text) = value else {
            d.add(fields.at(key), "The field '\(key)' must be a string holding a Reference Path, but is \(value.typeName)")
            return nil
        }
        do { return try ReferencePath(text) } catch {
            d.add(fields.at(key), "The value for the field '\(key)' must be a valid Reference Path: \(error.message)")
            return nil
        }
    }

    /// A positive integer given as a number, through `keyPath`, or as a JSONata expression.
    mutating func integerSource(_ fields: FieldReader, _ key: String, _ range: ClosedRange<Int>, language: QueryLanguage) -> IntegerSource? {
        fields.atMostOne(of: [key, key + "Path"], &d)
        if let value = fields[key] {
            if language == .jsonata, case .string(let text) = value, JSONataText.isExpression(text) { return .expression(text) }
            return fields.integer(key, range, &d).map(IntegerSource.value)
        }
        return referencePath(fields, key + "Path").map(IntegerSource.path)
    }
}

/// JSONata text in ASL: a string that is exactly `{% ... %}`.
enum JSONataText {
    static func isExpression(_ text: String) -> Bool { text.hasPrefix("{%") && text.hasSuffix("%}") && text.count >= 4 }

    /// Whether the string looks like it meant to be an expression but is not well delimited.
    static func isMalformed(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if isExpression(text) { return false }
        return trimmed.hasPrefix("{%") || trimmed.hasSuffix("%}")
    }
}
