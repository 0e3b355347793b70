import Foundation

extension DateTimeFormat {
    /// How one part of a picture is matched, and the value it gives.
    private struct Matcher {
        var regex: String
        var component: Character?
        var parse: ((String) -> Int?)?
    }

    static func integerRegex(_ picture: IntegerPicture) throws(JSONataError) -> (String, (String) -> Int?) {
        let upper = picture.letterCase == .upper
        switch picture.primary {
        case .letters:
            return (upper ? "[A-Z]+" : "[a-z]+", { Int(IntegerPicture.lettersValue($0, upper: upper).clamped) })
        case .roman:
            return (upper ? "[MDCLXVI]+" : "[mdclxvi]+", { IntegerPicture.romanValue($0) })
        case .words:
            let words = NumberWords.values.keys.sorted { $0.count > $1.count } + ["and", "[\\-, ]"]
            return ("(?:" + words.joined(separator: "|") + ")+", { Int(NumberWords.value($0.lowercased()).clamped) })
        case .decimal:
            var regex = "[0-9]+"
            if let n = picture.width, n > 0 {
                regex = picture.optionalDigits == 0 ? "[0-9]{\(n)}" : "[0-9]{\(max(0, n - picture.optionalDigits)),\(n)}"
            }
            if picture.ordinal { regex += "(?:th|st|nd|rd)" }
            return (regex, { text in (try? picture.parse(text)).flatMap { $0 }.map { Int($0) } })
        case .sequence(let token):
            throw JSONataError("D3130", value: .string(token))
        }
    }

    /// `$toMillis(text, picture)`: the instant the text names, its missing leading parts taken
    /// from now and trailing parts from zero; undefined when the text does not fit the picture.
    static func parse(_ text: String, picture: String, now: Double) throws(JSONataError) -> Double? {
        let parts = try analyse(picture)
        var matchers: [Matcher] = []
        for part in parts {
            switch part {
            case .literal(let literal):
                matchers.append(Matcher(regex: NSRegularExpression.escapedPattern(for: literal)))
            case .marker(let marker) where marker.component == "Z" || marker.component == "z":
                let separator = marker.integer?.regular?.character
                var regex = marker.component == "z" ? "GMT" : ""
                regex += "[-+][0-9]+"
                if let separator { regex += NSRegularExpression.escapedPattern(for: separator) + "[0-9]+" }
                let isGMT = marker.component == "z"
                matchers.append(
                    Matcher(regex: regex, component: marker.component) { value in
                        var value = value
                        if isGMT { value = String(value.dropFirst(3)) }
                        if let separator, let at = value.range(of: separator) {
                            let hours = Int(value[..<at.lowerBound].trimmingPlus) ?? 0
                            let minutes = Int(value[at.upperBound...]) ?? 0
                            return hours * 60 + (hours < 0 ? -minutes : minutes)
                        }
                        let digits = value.count - 1
                        if digits <= 2 { return (Int(value.trimmingPlus) ?? 0) * 60 }
                        let hours = Int(String(value.prefix(3)).trimmingPlus) ?? 0
                        let minutes = Int(value.dropFirst(3)) ?? 0
                        return hours * 60 + minutes
                    })
            case .marker(let marker):
                if var integer = marker.integer {
                    integer.width = marker.digits
                    let (regex, parse) = try integerRegex(integer)
                    matchers.append(Matcher(regex: regex, component: marker.component, parse: parse))
                } else {
                    var lookup: [String: Int] = [:]
                    switch marker.component {
                    case "M", "x":
                        for (i, name) in monthNames.enumerated() {
                            lookup[(marker.maxWidth.map { String(name.prefix($0)) } ?? name).lowercased()] = i + 1
                        }
                    case "F":
                        for (i, name) in dayNames.enumerated() where i > 0 {
                            lookup[(marker.maxWidth.map { String(name.prefix($0)) } ?? name).lowercased()] = i
                        }
                    case "P":
                        lookup = ["am": 0, "pm": 1]
                    default:
                        throw JSONataError("D3133", value: .string(String(marker.component)))
                    }
                    matchers.append(Matcher(regex: "[a-zA-Z]+", component: marker.component) { lookup[$0.lowercased()] })
                }
            }
        }
        let full = "^" + matchers.map { "(" + $0.regex + ")" }.joined() + "$"
        guard let regex = try? NSRegularExpression(pattern: full, options: [.caseInsensitive]),
            let match = regex.firstMatch(in: text, range: NSRange(location: 0, length: (text as NSString).length))
        else { return nil }
        let ns = text as NSString
        var components: [Character: Int] = [:]
        for (i, matcher) in matchers.enumerated() {
            guard let component = matcher.component, let parse = matcher.parse else { continue }
            let range = match.range(at: i + 1)
            guard range.location != NSNotFound else { continue }
            components[component] = parse(ns.substring(with: range))
        }
        if components.isEmpty { return nil }

        func mask(_ letters: String) -> Int {
            letters.reduce(0) { ($0 << 1) + (components[$1] != nil ? 1 : 0) }
        }
        func isType(_ type: Int, _ mask: Int) -> Bool { (~type & mask) == 0 && (type & mask) != 0 }
        let dateMask = mask("YXMxWwdD")
        let dateA = isType(161, dateMask)
        let dateB = !dateA && isType(130, dateMask)
        let dateC = isType(84, dateMask)
        let dateD = !dateC && isType(72, dateMask)
        let timeMask = mask("PHhmsf")
        let timeA = isType(23, timeMask)
        let timeB = !timeA && isType(47, timeMask)

        let dateParts = dateB ? "YD" : dateC ? "XxwF" : dateD ? "XWF" : "YMD"
        let timeParts = timeB ? "Phmsf" : "Hmsf"
        let current = CivilTime(millis: now)
        var startSpecified = false
        var endSpecified = false
        for part in dateParts + timeParts {
            if components[part] == nil {
                if startSpecified {
                    components[part] = "MDd".contains(part) ? 1 : 0
                    endSpecified = true
                } else {
                    components[part] = fragment(part, current, now).number ?? 0
                }
            } else {
                startSpecified = true
                if endSpecified { throw JSONataError("D3136") }
            }
        }
        var month = (components["M"] ?? 0) > 0 ? components["M"]! : 1
        var day = components["D"] ?? 1
        let year = components["Y"] ?? current.year
        if dateB {
            let derived = CivilTime(millis: CivilTime(year: year, month: 1, day: 1).millis + Double((components["d"] ?? 1) - 1) * 86_400_000)
            month = derived.month
            day = derived.day
        }
        if dateC || dateD { throw JSONataError("D3136") }
        var hour = components["H"] ?? 0
        if timeB {
            let h = components["h"] ?? 0
            hour = h == 12 ? 0 : h
            if components["P"] == 1 { hour += 12 }
        }
        var millis = CivilTime(
            year: year, month: month, day: day, hour: hour, minute: components["m"] ?? 0, second: components["s"] ?? 0,
            millisecond: components["f"] ?? 0
        ).millis
        if let offset = components["Z"] ?? components["z"], offset != 0 { millis -= Double(offset * 60_000) }
        return millis
    }
}

extension StringProtocol {
    fileprivate var trimmingPlus: String { hasPrefix("+") ? String(dropFirst()) : String(self) }
}
