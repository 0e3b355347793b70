import JSONCore
import PathExpressions
import PayloadTemplates

/// The fields each state type accepts, by query language.
enum StateFields {
    static let common: Set<String> = ["Type", "Comment", "QueryLanguage"]
    static let jsonPathIO: Set<String> = ["InputPath", "OutputPath"]

    static func allowed(_ type: String, _ language: QueryLanguage) -> Set<String>? {
        let jsonPath = language == .jsonPath
        var fields = common
        func add(_ names: String...) { fields.formUnion(names) }
        switch type {
        case "Pass":
            add("Next", "End", "Assign")
            if jsonPath { add("InputPath", "OutputPath", "Parameters", "ResultPath", "Result") } else { add("Output") }
        case "Task":
            add("Next", "End", "Assign", "Resource", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds", "Credentials")
            if jsonPath {
                add("InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "TimeoutSecondsPath", "HeartbeatSecondsPath")
            } else {
                add("Arguments", "Output")
            }
        case "Choice":
            add("Choices", "Default", "Assign")
            if jsonPath { add("InputPath", "OutputPath") } else { add("Output") }
        case "Wait":
            add("Next", "End", "Assign", "Seconds", "Timestamp")
            if jsonPath { add("InputPath", "OutputPath", "SecondsPath", "TimestampPath") } else { add("Output") }
        case "Succeed":
            if jsonPath { add("InputPath", "OutputPath") } else { add("Output") }
        case "Fail":
            add("Error", "Cause")
            if jsonPath { add("ErrorPath", "CausePath") }
        case "Parallel":
            add("Next", "End", "Assign", "Branches", "Retry", "Catch")
            if jsonPath { add("InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath") } else { add("Arguments", "Output") }
        case "Map":
            add(
                "Next", "End", "Assign", "Retry", "Catch", "Iterator", "ItemProcessor", "ItemSelector", "MaxConcurrency",
                "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailureCount", "Label")
            if jsonPath {
                add(
                    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "ItemsPath", "MaxConcurrencyPath",
                    "ToleratedFailurePercentagePath", "ToleratedFailureCountPath")
            } else {
                add("Items", "Output")
            }
        default:
            return nil
        }
        return fields
    }
}

extension DefinitionDecoder {
    mutating func state(_ name: String, _ value: JSONValue, at path: String, language inherited: QueryLanguage) -> State? {
        guard let fields = FieldReader(value, at: path, "A state", &d) else { return nil }
        guard let type = fields.string("Type", &d) else {
            if !fields.has("Type") { d.add(path, "The field 'Type' is required but was missing") }
            return nil
        }
        var language = inherited
        if let text = fields.string("QueryLanguage", &d) {
            if let parsed = QueryLanguage(rawValue: text) {
                language = parsed
            } else {
                d.add(fields.at("QueryLanguage"), "The field 'QueryLanguage' must be JSONPath or JSONata, but is \"\(text)\"")
            }
        }
        guard let allowed = StateFields.allowed(type, language) else {
            d.add(fields.at("Type"), "The field 'Type' must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map, but is \"\(type)\"")
            return nil
        }
        fields.rejectUnknown(allowed, "a \(type) state" + (language == .jsonata ? " using JSONata" : ""), &d)
        if language == .jsonata { checkJSONataStrings(value, at: path) }

        let state = State(
            name: name, path: path, comment: fields.string("Comment", &d), queryLanguage: language,
            transition: transition(fields, type: type), kind: .succeed)
        if language == .jsonPath {
            state.inputPath = optionalPath(fields, "InputPath")
            state.outputPath = optionalPath(fields, "OutputPath")
            state.parameters = template(fields, "Parameters")
            state.resultSelector = template(fields, "ResultSelector")
            state.resultPath = resultPath(fields)
            if fields.has("Assign") { _ = template(fields, "Assign") }
        } else {
            state.arguments = fields["Arguments"]
            state.output = fields["Output"]
        }
        state.assign = fields["Assign"]
        if fields.has("Assign"), fields["Assign"]?.objectValue == nil, !(language == .jsonata && fields["Assign"]?.stringValue.map(JSONataText.isExpression) == true) {
            d.add(fields.at("Assign"), "The field 'Assign' must be a JSON object")
        }
        state.retry = retriers(fields)
        state.catchers = catchers(fields, language: language)

        switch type {
        case "Pass": state.kind = .pass(result: fields["Result"])
        case "Task": state.kind = task(fields, language: language).map(State.Kind.task) ?? .succeed
        case "Choice": state.kind = .choice(choice(fields, language: language))
        case "Wait": state.kind = wait(fields, language: language).map(State.Kind.wait) ?? .succeed
        case "Succeed": state.kind = .succeed
        case "Fail": state.kind = .fail(fail(fields))
        case "Parallel": state.kind = .parallel(branches: parallelBranches(fields, language: language))
        case "Map": state.kind = map(fields, language: language).map(State.Kind.map) ?? .succeed
        default: break
        }
        return state
    }

    /// `Next` xor `End: true` for the states that go on; neither for Choice, Succeed and Fail.
    mutating func transition(_ fields: FieldReader, type: String) -> Transition {
        let next = fields.string("Next", &d)
        let end = fields.bool("End", &d)
        switch type {
        case "Choice", "Succeed", "Fail":
            return .none
        default:
            if next != nil && end != nil {
                d.add(fields.path, "A state may have only one of [Next, End], but has Next and End")
            }
            if let next { return .next(next) }
            if end == true { return .end }
            if end == false {
                d.add(fields.at("End"), "The field 'End' must be true when present")
            } else if !fields.has("Next") {
                d.add(fields.path, "A \(type) state must have either 'Next' or \"End\": true")
            }
            return .end
        }
    }

    /// Strings that start or end like a JSONata expression but are not `{% ... %}` exactly, and
    /// expressions that do not parse.
    mutating func checkJSONataStrings(_ value: JSONValue, at path: String) {
        switch value {
        case .string(let text) where JSONataText.isMalformed(text):
            d.add(path, "A JSONata expression must be written as \"{% expression %}\" with no characters outside the delimiters: \(text)")
        case .string:
            for problem in JSONataTemplate.syntaxErrors(in: value, at: path) {
                let at = problem.error.position.map { " at position \($0)" } ?? ""
                d.add(problem.path, "The JSONata expression '\(problem.expression)' is not valid: \(problem.error.code)\(at): \(problem.error.message)")
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() { checkJSONataStrings(element, at: pointer(path, i)) }
        case .object(let object):
            for member in object.members where !["States", "Branches", "ItemProcessor", "Iterator", "Comment"].contains(member.key) {
                checkJSONataStrings(member.value, at: pointer(path, member.key))
            }
        default:
            break
        }
    }

    mutating func task(_ fields: FieldReader, language: QueryLanguage) -> TaskState? {
        guard let resource = fields.string("Resource", &d) else {
            if !fields.has("Resource") { d.add(fields.path, "The field 'Resource' is required but was missing") }
            return nil
        }
        if !Self.isURI(resource) {
            d.add(fields.at("Resource"), "The field 'Resource' must be a URI (such as an ARN), but is \"\(resource)\"")
        }
        if let problem = Self.integrationProblem(resource) {
            d.add(fields.at("Resource"), problem)
        }
        if let problem = Self.lambdaARNProblem(resource) {
            d.add(fields.at("Resource"), problem)
        }
        if type == .express, resource.hasSuffix(".sync") || resource.contains(".sync:") {
            d.add(fields.at("Resource"), "Express state machine does not support '.sync' service integration")
        }
        if type == .express, resource.hasSuffix(".waitForTaskToken") {
            d.add(fields.at("Resource"), "Express state machine does not support '.waitForTaskToken' service integration")
        }
        let timeout = integerSource(fields, "TimeoutSeconds", 1...99_999_999, language: language)
        let heartbeat = integerSource(fields, "HeartbeatSeconds", 1...99_999_999, language: language)
        if case .value(let t)? = timeout, case .value(let h)? = heartbeat, h >= t {
            d.add(fields.at("HeartbeatSeconds"), "HeartbeatSeconds (\(h)) must be less than TimeoutSeconds (\(t))")
        }
        if let credentials = fields["Credentials"] {
            if case .object(let object) = credentials {
                if !object.contains("RoleArn") && !object.contains("RoleArn.$") {
                    d.add(fields.at("Credentials"), "The field 'RoleArn' is required but was missing")
                }
                if language == .jsonPath { _ = template(fields, "Credentials") }
            } else {
                d.add(fields.at("Credentials"), "The field 'Credentials' must be a JSON object with a RoleArn")
            }
        }
        return TaskState(resource: resource, timeoutSeconds: timeout, heartbeatSeconds: heartbeat, credentials: fields["Credentials"])
    }

    /// The optimized integrations AWS documents for services whose actions are a closed list;
    /// anything else under `arn:aws:states:::SERVICE:` is rejected as AWS does.
    static let optimizedActions: [String: Set<String>] = [
        "dynamodb": ["getItem", "putItem", "deleteItem", "updateItem"],
    ]

    static func integrationProblem(_ resource: String) -> String? {
        let parts = resource.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[0] == "arn", parts[2] == "states", parts[3].isEmpty, parts[4].isEmpty,
            let actions = optimizedActions[String(parts[5])]
        else { return nil }
        let action = parts[6].split(separator: ".").first.map(String.init) ?? ""
        guard !actions.contains(action) else { return nil }
        return "The resource provided \(resource) is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
    }

    /// A Lambda function ARN must name the function and, after a colon, a valid alias or
    /// version (letters, digits, `-`, `_`, or `$LATEST`).
    static func lambdaARNProblem(_ resource: String) -> String? {
        let parts = resource.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function" else { return nil }
        guard !parts[6].isEmpty, parts.count <= 8 else { return "The Lambda function ARN \"\(resource)\" is not valid" }
        if parts.count == 8 {
            let qualifier = parts[7]
            let valid = qualifier == "$LATEST" || (!qualifier.isEmpty && qualifier.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
            if !valid { return "The Lambda function ARN \"\(resource)\" has an invalid alias or version \"\(qualifier)\"" }
        }
        return nil
    }

    /// ASL: "The Resource field MUST be a URI": a scheme, a colon, and more.
    static func isURI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
            && !text.contains(where: { $0.isWhitespace || $0 == "{" || $0 == "}" })
    }

    mutating func wait(_ fields: FieldReader, language: QueryLanguage) -> WaitState? {
        let keys = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"].filter(fields.has)
        guard keys.count == 1 else {
            d.add(fields.path, keys.isEmpty
                ? "A Wait state must have one of [Seconds, Timestamp, SecondsPath, TimestampPath]"
                : "A Wait state may have only one of [Seconds, Timestamp, SecondsPath, TimestampPath], but has \(keys.joined(separator: " and "))")
            return nil
        }
        switch keys[0] {
        case "Seconds", "SecondsPath":
            return integerSource(fields, "Seconds", 0...99_999_999, language: language).map { WaitState(duration: .seconds($0)) }
        case "Timestamp":
            guard let text = fields.string("Timestamp", &d) else { return nil }
            if language == .jsonata, JSONataText.isExpression(text) { return WaitState(duration: .timestampExpression(text)) }
            guard Timestamp.isRFC3339(text) else {
                d.add(fields.at("Timestamp"), "String does not match RFC3339 timestamp")
                return nil
            }
            return WaitState(duration: .timestamp(text))
        default:
            return referencePath(fields, "TimestampPath").map { WaitState(duration: .timestampPath($0)) }
        }
    }

    mutating func fail(_ fields: FieldReader) -> FailState {
        fields.atMostOne(of: ["Error", "ErrorPath"], &d)
        fields.atMostOne(of: ["Cause", "CausePath"], &d)
        func text(_ key: String, _ d: inout Diagnostics) -> FailState.Text? {
            if let literal = fields.string(key, &d) {
                return JSONataText.isExpression(literal) ? .expression(literal) : .literal(literal)
            }
            guard let dynamic = fields.string(key + "Path", &d) else { return nil }
            if dynamic.hasPrefix("States.") {
                do {
                    _ = try PayloadTemplate([key + ".$": .string(dynamic)], location: fields.path)
                    return .intrinsic(dynamic)
                } catch {
                    for problem in error.problems { d.add(fields.at(key + "Path"), problem.message) }
                    return nil
                }
            }
            do { return .path(try Selector(dynamic)) } catch {
                d.add(fields.at(key + "Path"), "The value for the field '\(key)Path' must be a valid JSONPath or intrinsic function: \(error.message)")
                return nil
            }
        }
        return FailState(error: text("Error", &d), cause: text("Cause", &d))
    }

    mutating func parallelBranches(_ fields: FieldReader, language: QueryLanguage) -> [StateMachineDefinition] {
        guard let value = fields["Branches"] else {
            d.add(fields.path, "The field 'Branches' is required but was missing")
            return []
        }
        guard case .array(let branches) = value, !branches.isEmpty else {
            d.add(fields.at("Branches"), "The field 'Branches' must be a non-empty array of branches")
            return []
        }
        return branches.enumerated().compactMap { i, branch in
            machine(branch, at: pointer(fields.at("Branches"), i), language: language, topLevel: false)
        }
    }
}

/// ASL timestamps: RFC 3339 with an uppercase `T` and `Z` (or a numeric offset).
public enum Timestamp {
    public static func isRFC3339(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= chars.count else { return nil }
            var v = 0
            for c in chars[at..<(at + n)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard chars.count >= 20, let _ = digits(0, 4), chars[4] == 45, let month = digits(5, 2), chars[7] == 45,
            let day = digits(8, 2), chars[10] == 84, let hour = digits(11, 2), chars[13] == 58,
            let minute = digits(14, 2), chars[16] == 58, let second = digits(17, 2)
        else { return false }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return false }
        var i = 19
        if i < chars.count, chars[i] == 46 {
            i += 1
            let start = i
            while i < chars.count, chars[i] >= 48 && chars[i] <= 57 { i += 1 }
            guard i > start else { return false }
        }
        guard i < chars.count else { return false }
        if chars[i] == 90 { return i == chars.count - 1 }
        guard chars[i] == 43 || chars[i] == 45, let offsetHour = digits(i + 1, 2), i + 3 < chars.count, chars[i + 3] == 58,
            let offsetMinute = digits(i + 4, 2), i + 6 == chars.count
        else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }
}
