import Crypto

/// The digests `States.Hash` (and JSONata's `$hash`) accept, by AWS's names.
public enum HashAlgorithm: String, CaseIterable, Sendable {
    case md5 = "MD5"
    case sha1 = "SHA-1"
    case sha256 = "SHA-256"
    case sha384 = "SHA-384"
    case sha512 = "SHA-512"

    /// The lowercase hexadecimal digest of `bytes`.
    public func hexDigest(of bytes: [UInt8]) -> String {
        switch self {
        case .md5: hex(Insecure.MD5.hash(data: bytes))
        case .sha1: hex(Insecure.SHA1.hash(data: bytes))
        case .sha256: hex(SHA256.hash(data: bytes))
        case .sha384: hex(SHA384.hash(data: bytes))
        case .sha512: hex(SHA512.hash(data: bytes))
        }
    }

    private func hex<D: Digest>(_ digest: D) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(D.byteCount * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
