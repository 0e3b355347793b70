extension Builtins {
    static func registerDateTime(into t: inout [String: NativeFunction]) {
        define(&t, "now", "<s?s?:s>", arity: 2) { call in
            .string(try DateTimeFormat.format(call.evaluator.timestamp, picture: call.string(0), timezone: call.string(1)))
        }
        define(&t, "millis", "<:n>", arity: 0) { call in .number(call.evaluator.timestamp) }
        define(&t, "fromMillis", "<n-s?s?:s>", arity: 3) { call in
            guard let millis = call.number(0) else { return nil }
            return .string(try DateTimeFormat.format(millis, picture: call.string(1), timezone: call.string(2)))
        }
        define(&t, "toMillis", "<s-s?:n>", arity: 2) { call in
            guard let text = call.string(0) else { return nil }
            if let picture = call.string(1) {
                return try DateTimeFormat.parse(text, picture: picture, now: call.evaluator.timestamp).map { .number($0) }
            }
            guard let millis = DateTimeFormat.parseISO(text) else { throw JSONataError("D3110", value: .string(text)) }
            return .number(millis)
        }
    }
}
