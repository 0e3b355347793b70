/// `encodeURIComponent`, `encodeURI` and their decoders, as JavaScript defines them.
enum URLText {
    static let unreserved: Set<Unicode.Scalar> = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()".unicodeScalars)
    static let reserved: Set<Unicode.Scalar> = Set(";,/?:@&=+$#".unicodeScalars)

    static func encode(_ s: String, keeping: Set<Unicode.Scalar>, name: String) throws -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            if keeping.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 {
                    out += "%" + String(byte >> 4, radix: 16).uppercased() + String(byte & 0xF, radix: 16).uppercased()
                }
            }
        }
        return out
    }

    /// Decodes %XX sequences (UTF-8); with `keeping`, escapes of those characters stay as
    /// written (`decodeURI`). Malformed input is D3140.
    static func decode(_ s: String, keeping: Set<Unicode.Scalar>, name: String) throws -> String {
        let malformed = JSONataError(
            "D3140", message: "Malformed URL passed to $\(name)(): \(JSONText.quote(s))")
        let units = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        func byte(at p: Int) -> UInt8? {
            guard p + 2 < units.count, units[p] == UInt8(ascii: "%"),
                let hi = hexDigit(units[p + 1]), let lo = hexDigit(units[p + 2])
            else { return nil }
            return hi << 4 | lo
        }
        while i < units.count {
            guard units[i] == UInt8(ascii: "%") else {
                out.append(units[i])
                i += 1
                continue
            }
            guard let first = byte(at: i) else { throw malformed }
            let length: Int
            switch first {
            case 0..<0x80: length = 1
            case 0xC2..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            case 0xF0..<0xF5: length = 4
            default: throw malformed
            }
            var bytes = [first]
            for k in 1..<length {
                guard let next = byte(at: i + 3 * k), next & 0xC0 == 0x80 else { throw malformed }
                bytes.append(next)
            }
            guard let decoded = String(validating: bytes, as: UTF8.self) else { throw malformed }
            if length == 1, let scalar = decoded.unicodeScalars.first, keeping.contains(scalar) {
                out.append(contentsOf: units[i..<(i + 3)])
            } else {
                out.append(contentsOf: bytes)
            }
            i += 3 * length
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
