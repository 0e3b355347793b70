import ASLModel
import Foundation
import Interpreter
import JSONCore
import MapRuns
import ObjectStore
import PropertyBased
import Testing

/// Runs a one-state machine whose `Map` state is `map` (the processor is added when absent).
func runMap(
    _ map: JSONValue, input: JSONValue = [:], store: LocalDirectoryStore, fileLimit: Int64 = 5_000_000_000, clock: any ExecutionClock = ManualClock()
) async throws -> ExecutionOutcome {
    var state = map.objectValue!
    state["Type"] = "Map"
    state["End"] = true
    if state["ItemProcessor"] == nil {
        state["ItemProcessor"] = [
            "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"], "StartAt": "Echo", "States": ["Echo": ["Type": "Pass", "End": true]],
        ]
    }
    let machine = try validMachine(["StartAt": "Map", "States": ["Map": .object(state)]])
    let interpreter = Interpreter(clock: clock, mapIO: ObjectStoreMapIO(store: store, resultFileLimit: fileLimit))
    return await interpreter.run(machine, input: input, options: ExecutionOptions(name: "run", stateMachineName: "Machine"))
}

/// A definition that must be valid (its problems fail the test).
func validMachine(_ definition: JSONValue) throws -> StateMachineDefinition {
    let (machine, problems) = DefinitionDecoder.decode(definition)
    #expect(problems.isEmpty, "\(problems)")
    return try #require(machine)
}

func reader(_ type: String, key: String, config: JSONValue = [:]) -> JSONValue {
    var readerConfig = config.objectValue ?? JSONObject()
    readerConfig["InputType"] = .string(type)
    return ["Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": .object(readerConfig), "Parameters": ["Bucket": "data", "Key": .string(key)]]
}

func put(_ store: LocalDirectoryStore, _ key: String, _ text: String) throws {
    try store.put(bucket: "data", key: key, bytes: Array(text.utf8))
}

@Suite struct ItemReaderTests {
    @Test func jsonLinesWithCRLFBlankLinesAndNoFinalNewline() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "{\"a\":1}\r\n\n  \n[2,3]\n\"x\"")
        let outcome = try await runMap(["ItemReader": reader("JSONL", key: "items.jsonl")], store: store)
        #expect(outcome.output == [["a": 1], [2, 3], "x"])
        let started = outcome.events.first { $0.type == "MapStateStarted" }
        #expect(started?.json["mapStateStartedEventDetails"]?["length"] == 0)
    }

    @Test func aBadLineFailsTheRunNamingTheLine() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "1\n2\n{oops}\n4\n")
        let outcome = try await runMap(["ItemReader": reader("JSONL", key: "items.jsonl")], store: store)
        #expect(outcome.error == "States.ItemReaderFailed")
        #expect(outcome.cause?.contains("Line 3 of s3://data/items.jsonl") == true)
    }

    @Test func jsonArrayStreamsAcrossChunksWithTrickyStrings() async throws {
        let store = try temporaryStore()
        // More than one 1 MiB chunk, with brackets, commas and escaped quotes inside strings.
        var elements: [JSONValue] = []
        for index in 0..<20_000 {
            elements.append(["i": .int(Int64(index)), "s": .string("a,]}[{\\\"\(index)"), "n": [1, ["x": "]"]]])
        }
        try put(store, "items.json", " \n" + JSONValue.array(elements).compactString + "\n")
        let outcome = try await runMap(
            ["ItemReader": reader("JSON", key: "items.json"), "ItemSelector": ["i.$": "$$.Map.Item.Value.i"]], store: store)
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        // The output is over 256 KiB: AWS fails the state; count what did run instead.
        let small = try await runMap(
            ["ItemReader": reader("JSON", key: "items.json", config: ["MaxItems": 3]), "ItemSelector": ["s.$": "$$.Map.Item.Value.s"]], store: store)
        #expect(small.output == [["s": "a,]}[{\\\"0"], ["s": "a,]}[{\\\"1"], ["s": "a,]}[{\\\"2"]])
    }

    @Test func jsonThatIsNotAnArrayOrIsEmptyFails() async throws {
        let store = try temporaryStore()
        try put(store, "object.json", "{\"items\": {\"deep\": [1, 2]}}")
        try put(store, "empty.json", "")
        try put(store, "trailing.json", "[1] [2]")
        for (key, expected) in [("object.json", "does not hold a JSON array"), ("empty.json", "is empty"), ("trailing.json", "more content after")] {
            let outcome = try await runMap(["ItemReader": reader("JSON", key: key)], store: store)
            #expect(outcome.error == "States.ItemReaderFailed", "\(key)")
            #expect(outcome.cause?.contains(expected) == true, "\(key): \(outcome.cause ?? "")")
        }
        let pointed = try await runMap(["ItemReader": reader("JSON", key: "object.json", config: ["ItemsPointer": "/items/deep"])], store: store)
        #expect(pointed.output == [1, 2])
        let missing = try await runMap(["ItemReader": reader("JSON", key: "nothing.json")], store: store)
        #expect(missing.error == "States.ItemReaderFailed")
        #expect(missing.cause?.contains("NoSuchKey") == true)
    }

    @Test func csvWithQuotesEmbeddedNewlinesAndCRLF() async throws {
        let store = try temporaryStore()
        try put(store, "rows.csv", "id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\r\n\r\n2,Ann\n3,,x\n")
        let outcome = try await runMap(["ItemReader": reader("CSV", key: "rows.csv", config: ["CSVHeaderLocation": "FIRST_ROW"])], store: store)
        #expect(
            outcome.output == [
                ["id": "1", "name": "Smith, J", "note": "said \"hi\"\nthen left"], ["id": "2", "name": "Ann", "note": ""], ["id": "3", "name": "", "note": "x"],
            ])
    }

    @Test func everyReaderKeepsSayingItHasEnded() throws {
        let store = try temporaryStore()
        try put(store, "rows.csv", "id\n1\n2\n")
        try put(store, "rows.jsonl", "1\n2\n")
        try put(store, "rows.json", "[1,2]")
        let io = ObjectStoreMapIO(store: store)
        for (type, key) in [("CSV", "rows.csv"), ("JSONL", "rows.jsonl"), ("JSON", "rows.json")] {
            var config: JSONValue = ["InputType": .string(type)]
            if type == "CSV" { config = ["InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"] }
            let source = try io.openItems(resource: "arn:aws:states:::s3:getObject", parameters: ["Bucket": "data", "Key": .string(key)], readerConfig: config)
            var items = 0
            while try source.next() != nil { items += 1 }
            #expect(items == 2, "\(type)")
            #expect(try source.next() == nil, "\(type)")
            #expect(try source.next() == nil, "\(type)")
        }
    }

    @Test func csvRowsInBatchesWithAShortLastBatch() async throws {
        let store = try temporaryStore()
        try put(store, "rows.csv", "n\n1\n2\n3\n")
        let outcome = try await runMap(
            ["ItemReader": reader("CSV", key: "rows.csv", config: ["CSVHeaderLocation": "FIRST_ROW"]), "ItemBatcher": ["MaxItemsPerBatch": 2]], store: store)
        #expect(outcome.output == [["Items": [["n": "1"], ["n": "2"]]], ["Items": [["n": "3"]]]])
    }

    @Test func csvGivenHeadersAndOtherDelimiters() async throws {
        let store = try temporaryStore()
        try put(store, "rows.psv", "1|a b|3.5\n2|c|4\n")
        try put(store, "rows.tsv", "k\tv\n\"a\tb\"\t1\n")
        let given = try await runMap(
            ["ItemReader": reader("CSV", key: "rows.psv", config: ["CSVHeaderLocation": "GIVEN", "CSVHeaders": ["n", "label", "score"], "CSVDelimiter": "PIPE"])],
            store: store)
        #expect(given.output == [["n": "1", "label": "a b", "score": "3.5"], ["n": "2", "label": "c", "score": "4"]])
        let tabs = try await runMap(["ItemReader": reader("CSV", key: "rows.tsv", config: ["CSVDelimiter": "TAB"])], store: store)
        #expect(tabs.output == [["k": "a\tb", "v": "1"]])
    }

    @Test func malformedCSVIsRejectedWithItsRow() async throws {
        let store = try temporaryStore()
        try put(store, "dup.csv", "a,b,a\n1,2,3\n")
        try put(store, "wide.csv", "a,b\n1,2\n1,2,3\n")
        try put(store, "open.csv", "a\n\"never closed\n")
        let cases = [("dup.csv", "repeat \"a\""), ("wide.csv", "Row 3 of s3://data/wide.csv has 3 fields"), ("open.csv", "never ends")]
        for (key, expected) in cases {
            let outcome = try await runMap(["ItemReader": reader("CSV", key: key)], store: store)
            #expect(outcome.error == "States.ItemReaderFailed", "\(key)")
            #expect(outcome.cause?.contains(expected) == true, "\(key): \(outcome.cause ?? "")")
        }
    }

    @Test func itemSourceNamesWhereEachItemComesFrom() async throws {
        let store = try temporaryStore()
        try put(store, "in/a.jsonl", "1\n2\n")
        try put(store, "in/b.jsonl", "3\n")
        let selector: JSONValue = ["source.$": "$$.Map.Item.Source", "index.$": "$$.Map.Item.Index"]
        let fromInput = try await runMap(["ItemsPath": "$.items", "ItemSelector": selector], input: ["items": [true]], store: store)
        #expect(fromInput.output == [["source": "STATE_DATA", "index": 0]])
        let object = try await runMap(["ItemReader": reader("JSONL", key: "in/b.jsonl"), "ItemSelector": selector], store: store)
        #expect(object.output == [["source": "s3://data/in/b.jsonl", "index": 0]])
        let listing = try await runMap(
            ["ItemReader": ["Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": ["Bucket": "data", "Prefix": "in/"]], "ItemSelector": selector],
            store: store)
        #expect(listing.output == [["source": "s3://data", "index": 0], ["source": "s3://data", "index": 1]])
        let flattened = try await runMap(
            [
                "ItemReader": [
                    "Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": ["Bucket": "data", "Prefix": "in/"],
                    "ReaderConfig": ["InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"],
                ], "ItemSelector": selector,
            ], store: store)
        #expect(
            flattened.output == [
                ["source": "s3://data/in/a.jsonl", "index": 0], ["source": "s3://data/in/a.jsonl", "index": 1], ["source": "s3://data/in/b.jsonl", "index": 2],
            ])
    }

    @Test func listObjectsGivesObjectMetadataItems() async throws {
        let store = try temporaryStore()
        try put(store, "in/a.txt", "hello world")
        try put(store, "in/b.txt", "")
        try put(store, "out/c.txt", "x")
        let outcome = try await runMap(
            ["ItemReader": ["Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": ["Bucket": "data", "Prefix": "in/"]]], store: store)
        let items = try #require(outcome.output?.arrayValue)
        #expect(items.map { $0["Key"] } == ["in/a.txt", "in/b.txt"])
        #expect(items[0]["Etag"] == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
        #expect(items[0]["Size"] == 11)
        #expect(items[0]["StorageClass"] == "STANDARD")
        #expect(items[0]["LastModified"]?.integerValue != nil)
        #expect(items[0].objectValue?.keys == ["Etag", "Key", "LastModified", "Size", "StorageClass"])
    }

    @Test func loadAndFlattenReadsEveryListedObject() async throws {
        let store = try temporaryStore()
        try put(store, "logs/b.jsonl", "{\"n\":3}\n")
        try put(store, "logs/a.jsonl", "{\"n\":1}\n{\"n\":2}\n")
        try put(store, "logs/empty.jsonl", "")
        let outcome = try await runMap(
            [
                "ItemReader": [
                    "Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": ["Bucket": "data", "Prefix": "logs/"],
                    "ReaderConfig": ["Transformation": "LOAD_AND_FLATTEN", "InputType": "JSONL", "MaxItems": 3],
                ]
            ], store: store)
        #expect(outcome.output == [["n": 1], ["n": 2], ["n": 3]])
        let wrong = try await runMap(
            ["ItemReader": ["Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": ["Bucket": "data"], "ReaderConfig": ["Transformation": "UNPACK"]]],
            store: store)
        #expect(wrong.error == "States.ItemReaderFailed")
    }

    /// An S3 Inventory report: the manifest names gzip CSV data files (the second one made of
    /// two gzip members) in its destination bucket.
    @Test func s3InventoryManifestReadsItsGzipDataFiles() async throws {
        let store = try temporaryStore()
        let first = try #require(Data(base64Encoded: "H4sIAAAAAAACA1NKSSxJVNJRyslPL9ZP1ANSQI6hoRKXErJEElTCQIkLAO7o3y0xAAAA"))
        let second = try #require(Data(base64Encoded: "H4sIAAAAAAACA1NKSSxJVNJRyslPL9ZP1gNSQI6pEhcAKG45BxgAAAA="))
        try store.put(bucket: "data", key: "inventory/data/1.csv.gz", bytes: Array(first))
        try store.put(bucket: "data", key: "inventory/data/2.csv.gz", bytes: Array(second + second))
        let manifest: JSONValue = [
            "sourceBucket": "logs", "destinationBucket": "arn:aws:s3:::data", "version": "2016-11-30", "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size", "files": [["key": "inventory/data/1.csv.gz", "size": 49], ["key": "inventory/data/2.csv.gz", "size": 48]],
        ]
        try put(store, "inventory/manifest.json", manifest.compactString)
        let outcome = try await runMap(["ItemReader": reader("MANIFEST", key: "inventory/manifest.json")], store: store)
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(
            outcome.output == [
                ["Bucket": "data", "Key": "logs/a.log", "Size": "11"], ["Bucket": "data", "Key": "logs/b.log", "Size": "0"],
                ["Bucket": "data", "Key": "logs/c.log", "Size": "5"], ["Bucket": "data", "Key": "logs/c.log", "Size": "5"],
            ])
        try store.put(bucket: "data", key: "inventory/data/2.csv.gz", bytes: Array(second.prefix(20)))
        let truncated = try await runMap(["ItemReader": reader("MANIFEST", key: "inventory/manifest.json")], store: store)
        #expect(truncated.error == "States.ItemReaderFailed")
        #expect(truncated.cause?.contains("gzip") == true, "\(truncated.cause ?? "")")
    }

    @Test func athenaManifestReadsEachListedFile() async throws {
        let store = try temporaryStore()
        try put(store, "athena/part-1.jsonl", "{\"id\":1}\n")
        try put(store, "athena/part-2.jsonl", "{\"id\":2}\n{\"id\":3}\n")
        try put(store, "athena/manifest.csv", "s3://data/athena/part-1.jsonl\ns3://data/athena/part-2.jsonl\n")
        let outcome = try await runMap(
            ["ItemReader": reader("JSONL", key: "athena/manifest.csv", config: ["ManifestType": "ATHENA_DATA"])], store: store)
        #expect(outcome.output == [["id": 1], ["id": 2], ["id": 3]])
    }

    @Test func maxItemsLimitsAndNegativeFails() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "1\n2\n3\n4\n")
        let two = try await runMap(["ItemReader": reader("JSONL", key: "items.jsonl", config: ["MaxItems": 2])], store: store)
        #expect(two.output == [1, 2])
        let fromPath = try await runMap(
            ["ItemReader": reader("JSONL", key: "items.jsonl", config: ["MaxItemsPath": "$.limit"])], input: ["limit": 3], store: store)
        #expect(fromPath.output == [1, 2, 3])
        let negative = try await runMap(["ItemReader": reader("JSONL", key: "items.jsonl", config: ["MaxItemsPath": "$.limit"])], input: ["limit": -1], store: store)
        #expect(negative.error == "States.ItemReaderFailed")
        #expect(negative.cause == "field MaxItems must be positive")
    }
}

@Suite struct BatchingAndResultWriterTests {
    @Test func batchesCarryBatchInputAndSplitByCount() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", (1...5).map(String.init).joined(separator: "\n"))
        let outcome = try await runMap(
            ["ItemReader": reader("JSONL", key: "items.jsonl"), "ItemBatcher": ["MaxItemsPerBatch": 2, "BatchInput": ["job.$": "$.job"]]], input: ["job": "j1"],
            store: store)
        #expect(
            outcome.output == [
                ["BatchInput": ["job": "j1"], "Items": [1, 2]], ["BatchInput": ["job": "j1"], "Items": [3, 4]], ["BatchInput": ["job": "j1"], "Items": [5]],
            ])
    }

    @Test func anItemLargerThanTheByteLimitFailsTheState() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "1\n\"\(String(repeating: "x", count: 100))\"\n")
        let outcome = try await runMap(["ItemReader": reader("JSONL", key: "items.jsonl"), "ItemBatcher": ["MaxInputBytesPerBatch": 50]], store: store)
        #expect(outcome.error == "States.Runtime")
        #expect(outcome.cause?.contains("more than MaxInputBytesPerBatch (50)") == true)
    }

    /// For random items and limits, batches partition the items in order and respect both
    /// limits.
    @Test func batchesPartitionItemsWithinBothLimits() async throws {
        await propertyCheck(count: 60, input: Gen.uint64()) { seed in
            // JSONCore's seeded generator (java.util.Random's, which $random uses too).
            var random = JavaRandom(seed: Int64(bitPattern: seed))
            let count = Int(random.nextInt(60))
            let items: [JSONValue] = (0..<count).map { index in .string(String(repeating: "a", count: Int(random.nextInt(30))) + "\(index)") }
            let maxItems = Int(random.nextInt(7)) + 1
            let maxBytes = 60 + Int(random.nextInt(200))
            let outcome: ExecutionOutcome
            do {
                let store = try temporaryStore()
                try put(store, "items.jsonl", items.map(\.compactString).joined(separator: "\n"))
                outcome = try await runMap(
                    ["ItemReader": reader("JSONL", key: "items.jsonl"), "ItemBatcher": ["MaxItemsPerBatch": .int(Int64(maxItems)), "MaxInputBytesPerBatch": .int(Int64(maxBytes))]],
                    store: store)
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
            #expect(outcome.status == .succeeded, "seed \(seed): \(outcome.cause ?? "")")
            let batches = outcome.output?.arrayValue ?? []
            #expect(batches.flatMap { $0["Items"]?.arrayValue ?? [] } == items, "seed \(seed)")
            for batch in batches {
                #expect((batch["Items"]?.arrayValue?.count ?? 0) <= maxItems, "seed \(seed)")
                #expect((batch["Items"]?.arrayValue?.count ?? 0) >= 1, "seed \(seed)")
                #expect(batch.encodedByteCount <= maxBytes, "seed \(seed): \(batch.compactString)")
            }
        }
    }

    /// A processor that fails items whose value is negative.
    static let failNegatives: JSONValue = [
        "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"], "StartAt": "Check",
        "States": [
            "Check": ["Type": "Choice", "Choices": [["Variable": "$.v", "NumericLessThan": 0, "Next": "Bad"]], "Default": "Good"],
            "Bad": ["Type": "Fail", "Error": "Negative", "Cause": "below zero"],
            "Good": ["Type": "Pass", "Parameters": ["doubled.$": "States.MathAdd($.v, $.v)"], "End": true],
        ],
    ]

    @Test func resultWriterWritesAWSLayoutAndManifest() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "{\"v\":1}\n{\"v\":-1}\n{\"v\":2}\n")
        let outcome = try await runMap(
            [
                "ItemReader": reader("JSONL", key: "items.jsonl"), "ItemProcessor": Self.failNegatives, "ToleratedFailureCount": 1, "MaxConcurrency": 1,
                "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "results"]],
            ], store: store)
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let output = try #require(outcome.output)
        let mapRunArn = try #require(output["MapRunArn"]?.stringValue)
        #expect(mapRunArn.hasPrefix("arn:aws:states:us-east-1:123456789012:mapRun:Machine/Map:"))
        let runId = String(mapRunArn.split(separator: ":").last!)
        #expect(output["ResultWriterDetails"] == ["Bucket": "data", "Key": .string("results/\(runId)/manifest.json")])

        let manifest = try JSONValue(parsing: store.get(bucket: "data", key: "results/\(runId)/manifest.json"))
        #expect(manifest["DestinationBucket"] == "data")
        #expect(manifest["MapRunArn"] == .string(mapRunArn))
        #expect(manifest["ResultFiles"]?["PENDING"] == [])
        let succeededFiles = try #require(manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue)
        #expect(succeededFiles.map { $0["Key"] } == [.string("results/\(runId)/SUCCEEDED_0.json")])

        let succeeded = try JSONValue(parsing: store.get(bucket: "data", key: "results/\(runId)/SUCCEEDED_0.json"))
        #expect(succeededFiles[0]["Size"]?.integerValue == Int64(try store.head(bucket: "data", key: "results/\(runId)/SUCCEEDED_0.json").size))
        #expect(succeeded.arrayValue?.map { $0["Output"] } == ["{\"doubled\":2}", "{\"doubled\":4}"])
        let record = try #require(succeeded.arrayValue?.first?.objectValue)
        #expect(
            record.keys == [
                "ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate",
                "StateMachineArn", "Status", "StopDate",
            ])
        #expect(record["StateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:Machine/Map")
        #expect(record["ExecutionArn"]?.stringValue?.hasPrefix("arn:aws:states:us-east-1:123456789012:execution:Machine/Map:") == true)
        #expect(record["Status"] == "SUCCEEDED")
        #expect(record["Input"] == "{\"v\":1}")

        let failed = try JSONValue(parsing: store.get(bucket: "data", key: "results/\(runId)/FAILED_0.json"))
        #expect(failed.arrayValue?.count == 1)
        #expect(failed[0]?["Error"] == "Negative")
        #expect(failed[0]?["Cause"] == "below zero")
        #expect(failed[0]?["Status"] == "FAILED")
        let started = outcome.events.first { $0.type == "MapRunStarted" }
        #expect(started?.json["mapRunStartedEventDetails"]?["mapRunArn"] == .string(mapRunArn))
    }

    @Test func exceedingToleranceWritesPendingItemsAndFailsTheRun() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "{\"v\":-1}\n{\"v\":1}\n{\"v\":2}\n")
        let outcome = try await runMap(
            [
                "ItemReader": reader("JSONL", key: "items.jsonl"), "ItemProcessor": Self.failNegatives, "MaxConcurrency": 1,
                "ResultWriter": [
                    "Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "out/"], "WriterConfig": ["OutputType": "JSONL"],
                ],
            ], store: store)
        #expect(outcome.error == "States.ExceedToleratedFailureThreshold")
        #expect(outcome.events.map(\.type).contains("MapRunFailed"))
        let listing = try store.list(ListRequest(bucket: "data", prefix: "out/")).contents.map(\.key)
        #expect(listing.count == 3, "\(listing)")
        let pendingKey = try #require(listing.first { $0.hasSuffix("/PENDING_0.json") })
        let pending = String(decoding: try store.get(bucket: "data", key: pendingKey), as: UTF8.self).split(separator: "\n")
        #expect(pending.count == 2)
        #expect(try JSONValue(parsing: String(pending[0]))["Input"] == "{\"v\":1}")
    }

    @Test func writerConfigAloneShapesTheOutputAndFilesRotateAtTheLimit() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "[1,2]\n[3]\n")
        let flattened = try await runMap(
            ["ItemReader": reader("JSONL", key: "items.jsonl"), "MaxConcurrency": 1, "ResultWriter": ["WriterConfig": ["Transformation": "FLATTEN"]]], store: store)
        #expect(flattened.output == [1, 2, 3])
        let rotated = try await runMap(
            [
                "ItemReader": reader("JSONL", key: "items.jsonl"), "MaxConcurrency": 1,
                "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "r"], "WriterConfig": ["Transformation": "COMPACT"]],
            ], store: store, fileLimit: 4)
        let key = try #require(rotated.output?["ResultWriterDetails"]?["Key"]?.stringValue)
        let manifest = try JSONValue(parsing: store.get(bucket: "data", key: key))
        let files = try #require(manifest["ResultFiles"]?["SUCCEEDED"]?.arrayValue)
        #expect(files.count == 2)
        #expect(files.compactMap { $0["Key"]?.stringValue?.split(separator: "/").last }.map(String.init) == ["SUCCEEDED_0.json", "SUCCEEDED_1.json"])
        #expect(try JSONValue(parsing: store.get(bucket: "data", key: files[1]["Key"]!.stringValue!)) == [[3]])
    }
}

/// Keeps every snapshot a Map Run reports.
final class RecordingObserver: MapRunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [MapRunSnapshot] = []
    func mapRunChanged(_ run: MapRunSnapshot) { lock.withLock { seen.append(run) } }
    var snapshots: [MapRunSnapshot] { lock.withLock { seen } }
}

@Suite struct MapRunLifecycleTests {
    @Test func countsAddUpAndTheRunEndsSucceeded() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", (1...7).map(String.init).joined(separator: "\n"))
        let observer = RecordingObserver()
        let definition: JSONValue = [
            "StartAt": "Map",
            "States": [
                "Map": [
                    "Type": "Map", "End": true, "MaxConcurrency": 2, "ToleratedFailureCount": 5, "Label": "Batches",
                    "ItemReader": reader("JSONL", key: "items.jsonl"), "ItemBatcher": ["MaxItemsPerBatch": 3],
                    "ItemProcessor": [
                        "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"], "StartAt": "P", "States": ["P": ["Type": "Pass", "End": true]],
                    ],
                ]
            ],
        ]
        let machine = try validMachine(definition)
        let outcome = await Interpreter(clock: ManualClock(), mapIO: ObjectStoreMapIO(store: store), observer: observer).run(machine, input: [:])
        #expect(outcome.status == .succeeded)
        let last = try #require(observer.snapshots.last)
        #expect(last.status == .succeeded)
        #expect(last.mapRunArn.contains(":mapRun:StateMachine/Batches:"))
        #expect(last.itemCounts.total == 7 && last.itemCounts.succeeded == 7 && last.itemCounts.running == 0 && last.itemCounts.resultsWritten == 7)
        #expect(last.executionCounts.total == 3 && last.executionCounts.succeeded == 3)
        #expect(last.json["toleratedFailureCount"] == 5)
        #expect(last.json["maxConcurrency"] == 2)
        for snapshot in observer.snapshots {
            let counts = snapshot.executionCounts
            #expect(counts.running <= 2)
            #expect(counts.running + counts.succeeded + counts.failed + counts.aborted + counts.pending == counts.total)
        }
    }

    /// Express children end after AWS's five minutes.
    @Test func expressChildrenPastFiveMinutesAreTimedOut() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", "1\n400\n2\n")
        let observer = RecordingObserver()
        let definition: JSONValue = [
            "StartAt": "Map",
            "States": [
                "Map": [
                    "Type": "Map", "End": true, "ToleratedFailureCount": 1, "MaxConcurrency": 1, "ItemReader": reader("JSONL", key: "items.jsonl"),
                    "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "timeouts"]],
                    "ItemProcessor": [
                        "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"], "StartAt": "Sleep",
                        "States": ["Sleep": ["Type": "Wait", "SecondsPath": "$", "End": true]],
                    ],
                ]
            ],
        ]
        let machine = try validMachine(definition)
        let outcome = await Interpreter(clock: ManualClock(), mapIO: ObjectStoreMapIO(store: store), observer: observer).run(machine, input: [:])
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let last = try #require(observer.snapshots.last)
        #expect(last.itemCounts.timedOut == 1 && last.itemCounts.succeeded == 2 && last.itemCounts.failed == 0)
        let key = try #require(store.list(ListRequest(bucket: "data", prefix: "timeouts/")).contents.map(\.key).first { $0.hasSuffix("FAILED_0.json") })
        let failed = try JSONValue(parsing: store.get(bucket: "data", key: key))
        #expect(failed[0]?["Status"] == "TIMED_OUT")
        #expect(failed[0]?["Error"] == "States.Timeout")
    }

    @Test func stoppingTheExecutionAbortsTheRunAndWritesPendingItems() async throws {
        let store = try temporaryStore()
        try put(store, "items.jsonl", (1...50).map(String.init).joined(separator: "\n"))
        let definition: JSONValue = [
            "StartAt": "Map",
            "States": [
                "Map": [
                    "Type": "Map", "End": true, "MaxConcurrency": 4, "ItemReader": reader("JSONL", key: "items.jsonl"),
                    "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "stopped"]],
                    "ItemProcessor": [
                        "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"], "StartAt": "Slow",
                        "States": ["Slow": ["Type": "Wait", "Seconds": 600, "End": true]],
                    ],
                ]
            ],
        ]
        let machine = try validMachine(definition)
        let observer = RecordingObserver()
        let interpreter = Interpreter(clock: SystemClock(), mapIO: ObjectStoreMapIO(store: store), observer: observer)
        let execution = Task { await interpreter.run(machine, input: [:]) }
        // Stop once four children are waiting (the suite runs in parallel: no fixed delay).
        for _ in 0..<1000 where observer.snapshots.last?.executionCounts.running != 4 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(observer.snapshots.last?.executionCounts.running == 4)
        execution.cancel()
        let outcome = await execution.value
        #expect(outcome.status == .aborted)
        #expect(outcome.events.map(\.type).suffix(2) == ["MapRunAborted", "ExecutionAborted"])
        let manifest = try Self.manifest(in: store, prefix: "stopped/")
        let failed = try Self.firstFile("FAILED", of: manifest, in: store)
        let pending = try Self.firstFile("PENDING", of: manifest, in: store)
        #expect(failed.arrayValue?.count == 4)
        #expect(failed[0]?["Status"] == "ABORTED")
        #expect(failed[0]?["Error"] == nil)
        #expect(pending.arrayValue?.count == 46)
        #expect(manifest["ResultFiles"]?["SUCCEEDED"] == [])
    }

    /// The failure that exceeds the tolerance stops the run at once: the children still running
    /// abort rather than finish their ten-minute waits.
    @Test(.timeLimit(.minutes(1))) func exceedingToleranceAbortsTheChildrenStillRunning() async throws {
        let store = try temporaryStore()
        // The fourth child fails; the three started before it are waiting by then.
        try put(store, "items.jsonl", ["600", "600", "600", "\"fail\"", "600", "600"].joined(separator: "\n"))
        let outcome = try await runMap(
            [
                "MaxConcurrency": 4, "ItemReader": reader("JSONL", key: "items.jsonl"),
                "ResultWriter": ["Resource": "arn:aws:states:::s3:putObject", "Parameters": ["Bucket": "data", "Prefix": "tolerance"]],
                "ItemProcessor": [
                    "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"], "StartAt": "Check",
                    "States": [
                        "Check": ["Type": "Choice", "Choices": [["Variable": "$", "StringEquals": "fail", "Next": "Bad"]], "Default": "Slow"],
                        "Bad": ["Type": "Fail", "Error": "Bad", "Cause": "asked to fail"],
                        "Slow": ["Type": "Wait", "SecondsPath": "$", "End": true],
                    ],
                ],
            ], store: store, clock: SystemClock())
        #expect(outcome.status == .failed)
        #expect(outcome.error == "States.ExceedToleratedFailureThreshold")
        let manifest = try Self.manifest(in: store, prefix: "tolerance/")
        let failed = try Self.firstFile("FAILED", of: manifest, in: store)
        let pending = try Self.firstFile("PENDING", of: manifest, in: store)
        #expect(failed.arrayValue?.compactMap { $0["Status"]?.stringValue }.sorted() == ["ABORTED", "ABORTED", "ABORTED", "FAILED"])
        #expect(pending.arrayValue?.compactMap { $0["Input"]?.stringValue } == ["600", "600"])
    }

    /// The manifest a ResultWriter wrote under `prefix`.
    static func manifest(in store: LocalDirectoryStore, prefix: String) throws -> JSONValue {
        let keys = try store.list(ListRequest(bucket: "data", prefix: prefix)).contents.map(\.key)
        return try JSONValue(parsing: store.get(bucket: "data", key: try #require(keys.first { $0.hasSuffix("manifest.json") })))
    }

    /// The first result file of `status` the manifest lists, parsed.
    static func firstFile(_ status: String, of manifest: JSONValue, in store: LocalDirectoryStore) throws -> JSONValue {
        try JSONValue(parsing: store.get(bucket: "data", key: try #require(manifest["ResultFiles"]?[status]?[0]?["Key"]?.stringValue)))
    }
}

/// A Distributed Map in JSONata mode over the object store: `Arguments` of the ItemReader and
/// ResultWriter, `MaxItems` and `MaxItemsPerBatch` as expressions, `ItemSelector` with
/// `$states.context.Map.Item.Source`, `BatchInput`, and `Output` with `$states.result`.
@Suite struct JSONataDistributedMapTests {
    @Test func readerWriterAndBatchesWithJSONata() async throws {
        let store = try temporaryStore()
        try put(store, "in/items.jsonl", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n")
        let machine = try validMachine(
            try JSONValue(
                parsing: """
                    {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                      "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% 3 %}"},
                                     "Arguments": {"Bucket": "data", "Key": "{% $states.input.key %}"}},
                      "ItemSelector": {"n": "{% $states.context.Map.Item.Value.n %}", "src": "{% $states.context.Map.Item.Source %}"},
                      "ItemBatcher": {"MaxItemsPerBatch": "{% 2 %}", "BatchInput": {"tag": "{% $states.input.tag %}"}},
                      "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": {"Bucket": "data", "Prefix": "{% 'out/' & $states.input.tag %}"}},
                      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "P", "States": {
                        "P": {"Type": "Pass", "Output": "{% $sum($states.input.Items.n) & '@' & $states.input.BatchInput.tag & ' from ' & $states.input.Items[0].src %}", "End": true}}},
                      "Output": "{% $states.result.ResultWriterDetails %}"}}}
                    """))
        let interpreter = Interpreter(clock: ManualClock(), mapIO: ObjectStoreMapIO(store: store))
        let outcome = await interpreter.run(machine, input: ["key": "in/items.jsonl", "tag": "t1"])
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let key = try #require(outcome.output?["Key"]?.stringValue)
        #expect(key.hasPrefix("out/t1/") && key.hasSuffix("/manifest.json"))
        let results = String(decoding: try store.get(bucket: "data", key: key.replacingOccurrences(of: "manifest.json", with: "SUCCEEDED_0.json")), as: UTF8.self)
        // MaxItems 3 in batches of 2: items 1 and 2, then item 3; both sum to 3.
        #expect(results.components(separatedBy: #""Output":"\"3@t1 from s3://data/in/items.jsonl\"""#).count == 3)
    }
}
