extension Builtins {
    static func registerFormatting(into t: inout [String: NativeFunction]) {
        define(&t, "formatNumber", "<n-so?:s>", arity: 3) { call in
            guard let value = call.number(0), let picture = call.string(1) else { return nil }
            return .string(try NumberPicture(options: call[2]?.objectValue).format(value, picture: picture))
        }
        define(&t, "formatInteger", "<n-s:s>", arity: 2) { call in
            guard let value = call.number(0), let picture = call.string(1) else { return nil }
            return .string(try IntegerPicture(picture).format(value.rounded(.down)))
        }
        define(&t, "parseInteger", "<s-s:n>", arity: 2) { call in
            guard let text = call.string(0), let picture = call.string(1) else { return nil }
            return try IntegerPicture(picture).parse(text).map { .number($0) }
        }
    }
}
