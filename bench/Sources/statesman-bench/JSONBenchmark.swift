import Foundation
import JSONCore

/// Parses and re-prints a generated JSON array of small objects (with escapes and non-ASCII
/// text) with Statesman's JSON core, Foundation's JSONSerialization, and JSONDecoder/Encoder,
/// and prints MB/s for each and Statesman's ratio to each baseline.
struct JSONBenchmark {
    let targetBytes: Int
    let repeats: Int

    struct Record: Codable {
        var id: Int
        var user: String
        var name: String
        var city: String
        var message: String
        var score: Double
        var tags: [String]
        var ok: Bool
        var ref: String?
    }

    static let names = ["Zoë \\\"Z\\\" Müller", "José Ñúñez", "Łukasz Żółć", "山田 太郎", "Renée O'Brien", "Ahmed Al-Fārisī"]
    static let cities = ["Zürich", "São Paulo", "Kraków", "東京", "Reykjavík", "Montréal"]

    /// A deterministic document of about `targetBytes` bytes.
    func generate() -> [UInt8] {
        var text = "["
        var i = 0
        while text.utf8.count < targetBytes {
            if i > 0 { text += "," }
            let name = Self.names[i % Self.names.count], city = Self.cities[(i / 7) % Self.cities.count]
            text += """
                {"id":\(i),"user":"user_\(i % 9973)","name":"\(name)","city":"\(city)",\
                "message":"line one\\nline two\\t\\"quoted\\" \\\\ path/to/\(i) \\u00e9t\\u00e9","score":\(Double(i % 1000) / 8 + 0.125),\
                "tags":["alpha","beta","γ-\(i % 13)"],"ok":\(i % 3 == 0),"ref":null}
                """
            i += 1
        }
        text += "]"
        return Array(text.utf8)
    }

    /// The best of `repeats` timings of `body`, in seconds: a steady state, as in a running
    /// engine. The previous run's result is freed between runs, outside the timed region.
    func best<T>(_ body: () throws -> T) rethrows -> (seconds: Double, result: T) {
        var fastest = Double.infinity
        var last: T? = nil
        for _ in 0..<repeats {
            last = nil
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            last = result
        }
        return (fastest, last!)
    }

    func run() {
        let bytes = generate()
        let data = Data(bytes)
        let mb = Double(bytes.count) / 1_000_000
        print("JSON benchmark: \(String(format: "%.1f", mb)) MB array of small objects, best of \(repeats)")

        // Statesman
        if CommandLine.arguments.contains("--parse-only") {
            let (seconds, _) = best { try! JSONValue(parsing: bytes) }
            print("Statesman: parse \(String(format: "%.1f", mb / seconds)) MB/s")
            return
        }
        let (ourParse, value) = best { try! JSONValue(parsing: bytes) }
        let (ourPrint, printed) = best { value.compactBytes }
        precondition((try? JSONValue(parsing: printed)) == value, "round trip failed")
        if CommandLine.arguments.contains("--statesman-only") {
            print("Statesman: parse \(String(format: "%.1f", mb / ourParse)) MB/s, print \(String(format: "%.1f", mb / ourPrint)) MB/s")
            return
        }

        // Foundation JSONSerialization
        let (fsParse, object) = best { try! JSONSerialization.jsonObject(with: data) }
        let fsPrint = best { try! JSONSerialization.data(withJSONObject: object) }.seconds

        // Codable
        let (decoderParse, records) = best { try! JSONDecoder().decode([Record].self, from: data) }
        let encoderPrint = best { try! JSONEncoder().encode(records) }.seconds

        func rate(_ seconds: Double) -> Double { mb / seconds }
        let rows: [(String, Double, Double)] = [
            ("Statesman JSONValue", rate(ourParse), rate(ourPrint)),
            ("Foundation JSONSerialization", rate(fsParse), rate(fsPrint)),
            ("Foundation JSONDecoder/JSONEncoder", rate(decoderParse), rate(encoderPrint)),
        ]
        print("")
        print("| implementation | parse MB/s | print MB/s |")
        print("| --- | ---: | ---: |")
        for (name, parse, print_) in rows {
            print("| \(name) | \(String(format: "%.1f", parse)) | \(String(format: "%.1f", print_)) |")
        }
        print("")
        print("| ratio | parse | print |")
        print("| --- | ---: | ---: |")
        print("| Statesman / JSONSerialization | \(String(format: "%.1f", fsParse / ourParse))× | \(String(format: "%.1f", fsPrint / ourPrint))× |")
        print("| Statesman / JSONDecoder, JSONEncoder | \(String(format: "%.1f", decoderParse / ourParse))× | \(String(format: "%.1f", encoderPrint / ourPrint))× |")

        // jq, the command-line tool users reach for: `jq -c .` parses and prints the document.
        if let jq = Self.jq(bytes: data, repeats: repeats) {
            print("")
            print("| parse and print | MB/s |")
            print("| --- | ---: |")
            print("| Statesman JSONValue | \(String(format: "%.1f", mb / (ourParse + ourPrint))) |")
            print("| jq -c . (\(jq.version)) | \(String(format: "%.1f", mb / jq.seconds)) |")
            print("")
            print("Statesman / jq, parse and print: \(String(format: "%.1f", jq.seconds / (ourParse + ourPrint)))×")
        } else {
            print("")
            print("(jq is not installed: its comparison was skipped)")
        }
    }

    /// The best of `repeats` runs of `jq -c . FILE > /dev/null` (nil when jq is missing).
    static func jq(bytes: Data, repeats: Int) -> (seconds: Double, version: String)? {
        guard let path = ["/usr/bin/jq", "/usr/local/bin/jq"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("statesman-json-bench-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        guard (try? bytes.write(to: file)) != nil else { return nil }
        func run(_ arguments: [String], output: FileHandle) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = output
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        let pipe = Pipe()
        guard run(["--version"], output: pipe.fileHandleForWriting) else { return nil }
        try? pipe.fileHandleForWriting.close()
        let version = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var fastest = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            guard run(["-c", ".", file.path], output: FileHandle.nullDevice) else { return nil }
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (fastest, version)
    }
}
