import JSONCore
import PathExpressions
import PayloadTemplates

extension DefinitionDecoder {
    // MARK: Retry and Catch

    mutating func errorEquals(_ fields: FieldReader) -> [String] {
        guard let value = fields["ErrorEquals"] else {
            d.add(fields.path, "The field 'ErrorEquals' is required but was missing")
            return []
        }
        guard case .array(let names) = value, !names.isEmpty else {
            d.add(fields.at("ErrorEquals"), "The field 'ErrorEquals' must be a non-empty array of error names")
            return []
        }
        var result: [String] = []
        for (i, name) in names.enumerated() {
            guard case .string(let text) = name else {
                d.add(pointer(fields.at("ErrorEquals"), i), "Error names must be strings, but this is \(name.typeName)")
                continue
            }
            result.append(text)
        }
        if result.contains("States.ALL") && result.count > 1 {
            d.add(fields.at("ErrorEquals"), "States.ALL must appear alone in 'ErrorEquals'")
        }
        return result
    }

    mutating func retriers(_ fields: FieldReader) -> [Retrier] {
        guard let value = fields["Retry"] else { return [] }
        guard case .array(let entries) = value else {
            d.add(fields.at("Retry"), "The field 'Retry' must be an array of retriers")
            return []
        }
        var result: [Retrier] = []
        for (i, entry) in entries.enumerated() {
            let at = pointer(fields.at("Retry"), i)
            guard let retrier = FieldReader(entry, at: at, "A retrier", &d) else { continue }
            retrier.rejectUnknown(["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"], "a retrier", &d)
            var r = Retrier(errorEquals: errorEquals(retrier))
            if r.errorEquals.contains("States.ALL") && i != entries.count - 1 {
                d.add(pointer(at, "ErrorEquals"), "A retrier with States.ALL must be the last one")
            }
            r.intervalSeconds = retrier.integer("IntervalSeconds", 1...99_999_999, &d) ?? 1
            r.maxAttempts = retrier.integer("MaxAttempts", 0...99_999_999, &d) ?? 3
            if let rate = retrier.number("BackoffRate", &d) {
                if rate < 1.0 { d.add(retrier.at("BackoffRate"), "The field 'BackoffRate' must be at least 1.0 (allowed minimum is 1), but is \(rate)") } else { r.backoffRate = rate }
            }
            r.maxDelaySeconds = retrier.integer("MaxDelaySeconds", 1...31_622_401, &d)
            if let jitter = retrier.string("JitterStrategy", &d) {
                if jitter == "FULL" || jitter == "NONE" { r.jitterStrategy = jitter } else {
                    d.add(retrier.at("JitterStrategy"), "The field 'JitterStrategy' is not one of the allowed values [\"FULL\", \"NONE\"]: \"\(jitter)\"")
                }
            }
            result.append(r)
        }
        return result
    }

    mutating func catchers(_ fields: FieldReader, language: QueryLanguage) -> [Catcher] {
        guard let value = fields["Catch"] else { return [] }
        guard case .array(let entries) = value else {
            d.add(fields.at("Catch"), "The field 'Catch' must be an array of catchers")
            return []
        }
        var result: [Catcher] = []
        for (i, entry) in entries.enumerated() {
            let at = pointer(fields.at("Catch"), i)
            guard let catcher = FieldReader(entry, at: at, "A catcher", &d) else { continue }
            var allowed: Set<String> = ["ErrorEquals", "Next", "Comment", "Assign"]
            allowed.formUnion(language == .jsonPath ? ["ResultPath"] : ["Output"])
            catcher.rejectUnknown(allowed, "a catcher", &d)
            let names = errorEquals(catcher)
            if names.contains("States.ALL") && i != entries.count - 1 {
                d.add(pointer(at, "ErrorEquals"), "A catcher with States.ALL must be the last one")
            }
            guard let next = catcher.string("Next", &d) else {
                if !catcher.has("Next") { d.add(at, "The field 'Next' is required but was missing") }
                continue
            }
            var c = Catcher(errorEquals: names, next: next)
            if language == .jsonPath {
                c.resultPath = resultPath(catcher)
                if catcher.has("Assign") { _ = template(catcher, "Assign") }
            } else {
                c.output = catcher["Output"]
            }
            c.assign = catcher["Assign"]
            result.append(c)
        }
        return result
    }

    // MARK: Choice

    mutating func choice(_ fields: FieldReader, language: QueryLanguage) -> ChoiceState {
        var rules: [ChoiceRule] = []
        if let value = fields["Choices"] {
            if case .array(let entries) = value, !entries.isEmpty {
                for (i, entry) in entries.enumerated() {
                    if let rule = choiceRule(entry, at: pointer(fields.at("Choices"), i), topLevel: true, language: language) { rules.append(rule) }
                }
            } else {
                d.add(fields.at("Choices"), "The field 'Choices' must be a non-empty array of rules")
            }
        } else {
            d.add(fields.path, "The field 'Choices' is required but was missing")
        }
        return ChoiceState(choices: rules, defaultState: fields.string("Default", &d))
    }

    mutating func choiceRule(_ value: JSONValue, at path: String, topLevel: Bool, language: QueryLanguage) -> ChoiceRule? {
        guard let rule = FieldReader(value, at: path, "A choice rule", &d) else { return nil }
        let next = rule.string("Next", &d)
        if topLevel && next == nil && !rule.has("Next") {
            d.add(path, "A top-level choice rule must have 'Next'")
        }
        if !topLevel && rule.has("Next") {
            d.add(rule.at("Next"), "A nested choice rule must not have 'Next'")
        }
        if !topLevel && rule.has("Assign") {
            d.add(rule.at("Assign"), "A nested choice rule must not have 'Assign'")
        }
        let assign = rule["Assign"]
        if language == .jsonata {
            rule.rejectUnknown(["Condition", "Next", "Comment", "Assign", "Output"], "a JSONata choice rule", &d)
            guard let condition = rule["Condition"] else {
                d.add(path, "The field 'Condition' is required but was missing")
                return nil
            }
            if case .bool = condition {} else if case .string(let text) = condition, JSONataText.isExpression(text) {} else {
                d.add(rule.at("Condition"), "The field 'Condition' must be a boolean or a JSONata expression {% ... %}")
            }
            return .condition(condition, next: next, assign: assign, output: rule["Output"])
        }
        if language == .jsonPath, rule.has("Assign") { _ = template(rule, "Assign") }
        let combinators = ["And", "Or", "Not"].filter(rule.has)
        if !combinators.isEmpty {
            rule.rejectUnknown(["And", "Or", "Not", "Next", "Comment", "Assign"], "a choice rule", &d)
            guard combinators.count == 1 else {
                d.add(path, "A choice rule may have only one of [And, Or, Not]")
                return nil
            }
            let key = combinators[0]
            if key == "Not" {
                guard let inner = rule["Not"], let decoded = choiceRule(inner, at: rule.at("Not"), topLevel: false, language: language) else { return nil }
                return .not(decoded, next: next, assign: assign)
            }
            guard case .array(let entries)? = rule[key], !entries.isEmpty else {
                d.add(rule.at(key), "The field '\(key)' must be a non-empty array of rules")
                return nil
            }
            let inner = entries.enumerated().compactMap { choiceRule($1, at: pointer(rule.at(key), $0), topLevel: false, language: language) }
            return key == "And" ? .and(inner, next: next, assign: assign) : .or(inner, next: next, assign: assign)
        }
        var operators: [(ComparisonOperator, Bool)] = []
        for op in ComparisonOperator.allCases {
            if rule.has(op.rawValue) { operators.append((op, false)) }
            if op.hasPathForm, rule.has(op.rawValue + "Path") { operators.append((op, true)) }
        }
        var allowed: Set<String> = ["Variable", "Next", "Comment", "Assign"]
        for (op, isPath) in operators { allowed.insert(op.rawValue + (isPath ? "Path" : "")) }
        rule.rejectUnknown(allowed, "a choice rule", &d)
        guard operators.count == 1 else {
            d.add(path, operators.isEmpty ? "A choice rule must have one comparison operator (such as StringEquals) or And, Or, Not" : "A choice rule may have only one comparison operator")
            return nil
        }
        guard let variableText = rule.string("Variable", &d) else {
            if !rule.has("Variable") { d.add(path, "The field 'Variable' is required but was missing") }
            return nil
        }
        let variable: Selector
        do { variable = try Selector(variableText) } catch {
            d.add(rule.at("Variable"), "The value for the field 'Variable' must be a valid JSONPath: \(error.message)")
            return nil
        }
        let (op, isPath) = operators[0]
        let key = op.rawValue + (isPath ? "Path" : "")
        let operandValue = rule[key]!
        if isPath {
            guard case .string(let text) = operandValue, let selector = try? Selector(text) else {
                d.add(rule.at(key), "The value for the field '\(key)' must be a valid JSONPath")
                return nil
            }
            return .comparison(variable: variable, op: op, operand: .path(selector), next: next, assign: assign)
        }
        let typeOK: Bool
        switch op.operandType {
        case "string": typeOK = operandValue.stringValue != nil
        case "number": typeOK = operandValue.isNumber
        case "timestamp": typeOK = operandValue.stringValue.map(Timestamp.isRFC3339) ?? false
        default: typeOK = operandValue.boolValue != nil
        }
        if !typeOK {
            d.add(rule.at(key), "The field '\(key)' must be a \(op.operandType == "timestamp" ? "RFC3339 timestamp string" : op.operandType)")
        }
        return .comparison(variable: variable, op: op, operand: .value(operandValue), next: next, assign: assign)
    }

    // MARK: Map

    mutating func map(_ fields: FieldReader, language: QueryLanguage) -> MapState? {
        fields.atMostOne(of: ["ItemProcessor", "Iterator"], &d)
        fields.atMostOne(of: ["Parameters", "ItemSelector"], &d)
        fields.atMostOne(of: ["MaxConcurrency", "MaxConcurrencyPath"], &d)
        fields.atMostOne(of: ["ToleratedFailurePercentage", "ToleratedFailurePercentagePath"], &d)
        fields.atMostOne(of: ["ToleratedFailureCount", "ToleratedFailureCountPath"], &d)
        let processorKey = fields.has("ItemProcessor") ? "ItemProcessor" : "Iterator"
        guard let processorValue = fields[processorKey] else {
            d.add(fields.path, "A Map state must have 'ItemProcessor' (or the older 'Iterator')")
            return nil
        }
        var isDistributed = false
        var executionType: String?
        if case .object(let object) = processorValue, let config = object["ProcessorConfig"] {
            let configPath = pointer(fields.at(processorKey), "ProcessorConfig")
            if let configFields = FieldReader(config, at: configPath, "ProcessorConfig", &d) {
                configFields.rejectUnknown(["Mode", "ExecutionType"], "ProcessorConfig", &d)
                if let mode = configFields.string("Mode", &d) {
                    if mode == "DISTRIBUTED" { isDistributed = true } else if mode != "INLINE" {
                        d.add(configFields.at("Mode"), "The field 'Mode' must be INLINE or DISTRIBUTED, but is \"\(mode)\"")
                    }
                }
                executionType = configFields.string("ExecutionType", &d)
                if let executionType, executionType != "STANDARD", executionType != "EXPRESS" {
                    d.add(configFields.at("ExecutionType"), "The field 'ExecutionType' must be STANDARD or EXPRESS")
                }
            }
        }
        guard let processor = machine(processorValue, at: fields.at(processorKey), language: language, topLevel: false) else { return nil }
        if !isDistributed {
            for key in ["ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label"] where fields.has(key) {
                d.add(fields.at(key), "The field '\(key)' is only allowed in a Map state whose ProcessorConfig Mode is DISTRIBUTED")
            }
        }
        if fields.has("ItemsPath"), fields["ItemsPath"] == .null {
            d.add(fields.at("ItemsPath"), "The field 'ItemsPath' must be a Reference Path, not null")
        }
        let map = MapState(processor: processor, isDistributed: isDistributed, executionType: executionType)
        if fields["ItemsPath"] != .null { map.itemsPath = referencePath(fields, "ItemsPath") }
        map.items = fields["Items"]
        map.rawItemSelector = fields["ItemSelector"]
        if language == .jsonPath { map.itemSelector = template(fields, "ItemSelector") }
        map.maxConcurrency = integerSource(fields, "MaxConcurrency", 0...Int(Int32.max), language: language)
        map.itemReader = fields["ItemReader"]
        map.itemBatcher = fields["ItemBatcher"]
        if let reader = fields["ItemReader"], let readerFields = FieldReader(reader, at: fields.at("ItemReader"), "ItemReader", &d),
            let config = readerFields["ReaderConfig"], let configFields = FieldReader(config, at: readerFields.at("ReaderConfig"), "ReaderConfig", &d)
        {
            configFields.atMostOne(of: ["MaxItems", "MaxItemsPath"], &d)
        }
        if let batcher = fields["ItemBatcher"], let batcherFields = FieldReader(batcher, at: fields.at("ItemBatcher"), "ItemBatcher", &d) {
            batcherFields.atMostOne(of: ["MaxItemsPerBatch", "MaxItemsPerBatchPath"], &d)
            batcherFields.atMostOne(of: ["MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"], &d)
        }
        map.resultWriter = fields["ResultWriter"]
        if let percentage = fields["ToleratedFailurePercentage"] {
            if let n = percentage.doubleValue {
                if n < 0 || n > 100 { d.add(fields.at("ToleratedFailurePercentage"), "ToleratedFailurePercentage must be between 0 and 100") }
            } else if !(language == .jsonata && percentage.stringValue.map(JSONataText.isExpression) == true) {
                d.add(fields.at("ToleratedFailurePercentage"), "The field 'ToleratedFailurePercentage' must be a number")
            }
            map.toleratedFailurePercentage = percentage
        }
        if let count = fields["ToleratedFailureCount"] {
            if let n = count.integerValue {
                if n < 0 { d.add(fields.at("ToleratedFailureCount"), "ToleratedFailureCount cannot be negative") }
            } else if !(language == .jsonata && count.stringValue.map(JSONataText.isExpression) == true) {
                d.add(fields.at("ToleratedFailureCount"), "The field 'ToleratedFailureCount' must be an integer")
            }
            map.toleratedFailureCount = count
        }
        map.toleratedFailurePercentagePath = referencePath(fields, "ToleratedFailurePercentagePath")
        map.toleratedFailureCountPath = referencePath(fields, "ToleratedFailureCountPath")
        if let label = fields.string("Label", &d) {
            let forbidden = Set(" \t\n\r?*<>{}[]:;,\\|^~$#%&`\"/")
            if label.count > 40 || label.contains(where: { forbidden.contains($0) || $0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } }) {
                d.add(fields.at("Label"), "The field 'Label' must be at most 40 characters without whitespace or the characters ? * < > { } [ ] : ; , \\ | ^ ~ $ # % & ` \" /")
            }
            map.label = label
        }
        return map
    }
}
