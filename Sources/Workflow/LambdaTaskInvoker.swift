import ASLErrors
import Foundation
import Interpreter
import JSONCore
import PluginHost
import PluginProtocol
import Synchronization

/// Runs Task states whose resource is a Lambda function through the plugin host, with
/// Lambda's shapes: the function ARN resource returns the function's value as is;
/// `arn:aws:states:::lambda:invoke` returns AWS's response envelope around it. The function
/// name resolves through the registry, so a definition written for AWS runs unchanged and
/// swapping a backend is a registry change.
public struct LambdaTaskInvoker: TaskInvoker {
    let host: PluginHost
    let region: String
    let account: String
    /// Function names and ARNs already parsed (a Map runs the same Task state many times).
    let references = ReferenceCache()
    /// `InvocationType: Event` invocations still running.
    let events = AsynchronousInvocations()

    /// Functions resolve through the host's registry.
    public init(host: PluginHost, region: String = "us-east-1", account: String = "123456789012") {
        self.host = host
        self.region = region
        self.account = account
    }

    /// The error names of resources this invoker cannot run.
    public static let unsupportedResource = ErrorName("Statesman.UnsupportedResource")

    /// How many `InvocationType: Event` invocations are still running.
    public var eventsRunning: Int { events.count }

    /// Returns once every `InvocationType: Event` invocation started so far has ended (each by
    /// its function's timeout at the latest): Lambda runs them whatever the workflow does
    /// next, so a run that ends first waits for them before its plugin host stops.
    public func waitForEvents() async { await events.waitForAll() }

    nonisolated(nonsending) public func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        // Prepared and finished out of line: this function's async frame, allocated for every
        // Lambda Task a Map runs, holds only what crosses the await.
        switch try prepare(request) {
        case .answered(let value):
            return value
        case .invoke(let call):
            let outcome = await host.invoke(call.function, payload: call.payload, context: call.context, onHeartbeat: request.onHeartbeat)
            return try Self.finish(outcome, envelope: call.envelope, requestId: call.context.requestId)
        }
    }

    /// A synchronous invocation to make, or the answer of one that runs nothing now.
    enum Prepared {
        case answered(JSONValue)
        case invoke(PreparedCall)
    }

    struct PreparedCall {
        var function: PluginHost.Function
        var payload: JSONValue
        var context: InvocationContext
        var envelope: Bool
    }

    @inline(never)
    func prepare(_ request: TaskRequest) throws(ExecutionFailure) -> Prepared {
        let call = try LambdaCall(request, region: region, account: account, host: host, references: references)
        guard let function = call.function.hosted else {
            throw ExecutionFailure(ErrorName(PluginFailure.Name.notFound), cause: Self.notFound(call.function))
        }
        let requestId = RandomUUID.string()
        switch call.invocationType {
        case .requestResponse:
            // Lambda passes the client context to synchronous invocations only. The context is
            // made where it is kept: made aside, it was copied whole.
            return .invoke(
                PreparedCall(
                    function: function, payload: call.payload,
                    context: Self.invocationContext(request, requestId: requestId, arn: call.function.invokedArn, clientContext: call.clientContext),
                    envelope: call.envelope))
        case .dryRun:
            // Lambda checks the call and runs nothing: 204, no payload.
            return .answered(Self.envelope(nil, requestId: requestId, statusCode: 204))
        case .event:
            // Lambda queues the event and answers 202 at once; the function runs meanwhile
            // (its failures reach only the log, as an asynchronous invocation's do).
            let host = self.host, payload = call.payload
            let context = Self.invocationContext(request, requestId: requestId, arn: call.function.invokedArn)
            events.start { _ = await host.invoke(function, payload: payload, context: context, onHeartbeat: nil) }
            return .answered(Self.envelope(nil, requestId: requestId, statusCode: 202))
        }
    }

    /// AWS's cause for a function the registry does not have.
    static func notFound(_ function: FunctionReference) -> String {
        "Function not found: \(function.unqualifiedArn):\(function.qualifier ?? "$LATEST") (Service: AWSLambda; Status Code: 404; "
            + "Error Code: ResourceNotFoundException; Request ID: \(RandomUUID.string()); Proxy: null)"
    }

    /// One synchronous invocation outside any workflow (`statesman plugins invoke`), as
    /// `aws lambda invoke` makes it: `reference` is a name, `name:qualifier` or a Lambda ARN,
    /// resolved as a Task's `FunctionName` is. A failure's `errorObject` is what Lambda answers.
    public func invoke(function reference: String, payload: JSONValue) async -> Result<JSONValue, PluginFailure> {
        guard let function = FunctionReference(reference, region: region, account: account, host: host) else {
            return .failure(PluginFailure(error: LambdaCall.invalidParameter, errorMessage: LambdaCall.notAFunctionName(reference), requestId: ""))
        }
        guard let hosted = function.hosted else {
            return .failure(PluginFailure(error: PluginFailure.Name.notFound, errorMessage: Self.notFound(function), requestId: ""))
        }
        let context = InvocationContext(requestId: RandomUUID.string(), invokedFunctionArn: function.invokedArn)
        return await host.invoke(hosted, payload: payload, context: context)
    }

    /// Lambda's error object for a failed invocation, as its response payload holds it (the
    /// Python runtime's spacing).
    public static func errorObject(_ failure: PluginFailure) -> String { cause(failure, pythonSpacing: true) }

    /// The Task's result: the function's value (in `lambda:invoke`'s envelope), or its error.
    @inline(never)
    static func finish(_ outcome: Result<JSONValue, PluginFailure>, envelope: Bool, requestId: String) throws(ExecutionFailure) -> JSONValue {
        switch outcome {
        case .success(let value):
            return envelope ? Self.envelope(value, requestId: requestId) : value
        case .failure(let failure):
            throw ExecutionFailure(ErrorName(failure.error), cause: Self.cause(failure, pythonSpacing: !envelope))
        }
    }

    @inline(__always)
    static func invocationContext(_ request: TaskRequest, requestId: String, arn: String, clientContext: JSONObject? = nil) -> InvocationContext {
        InvocationContext(
            requestId: requestId, invokedFunctionArn: arn, executionArn: request.executionArn, executionName: request.executionName,
            stateName: request.stateName, stateEnteredTime: request.stateEnteredTimestamp, attempt: request.attempt,
            taskToken: request.taskToken, clientContext: clientContext)
    }

    /// The cause of a failed invocation: Lambda's error object as JSON text, compact for
    /// `lambda:invoke` and with Python's `json.dumps` spacing for the function ARN resource, as
    /// AWS writes each.
    static func cause(_ failure: PluginFailure, pythonSpacing: Bool) -> String {
        var object = JSONObject()
        object["errorMessage"] = .string(failure.errorMessage)
        if let type = failure.errorType { object["errorType"] = .string(type) }
        if !failure.requestId.isEmpty { object["requestId"] = .string(failure.requestId) }
        if let trace = failure.stackTrace { object["stackTrace"] = .array(trace.map { .string($0) }) }
        return pythonSpacing ? PythonJSON.dumps(.object(object)) : JSONValue.object(object).compactString
    }

    /// `lambda:invoke`'s result: the function's value under `Payload`, with the HTTP response
    /// metadata AWS's SDK adds.
    /// `payload` nil: an asynchronous (202) or dry-run (204) call, which has no body.
    static func envelope(_ payload: JSONValue?, requestId: String, statusCode: Int64 = 200) -> JSONValue {
        // The body is what Lambda's Python runtime writes: json.dumps, with its spacing.
        let length = payload.map { String(PythonJSON.dumps($0).utf8.count) } ?? "0"
        let date = httpDate(Date())
        let trace = "Root=1-\(String(Int(Date().timeIntervalSince1970), radix: 16))-\(randomHex(24));Parent=\(randomHex(16));Sampled=0"
        let all: JSONObject = [
            "X-Amz-Executed-Version": ["$LATEST"], "x-amzn-Remapped-Content-Length": ["0"], "Connection": ["keep-alive"],
            "x-amzn-RequestId": [.string(requestId)], "Content-Length": [.string(length)], "Date": [.string(date)],
            "X-Amzn-Trace-Id": [.string(trace)], "Content-Type": ["application/json"],
        ]
        let headers: JSONObject = [
            "Connection": "keep-alive", "Content-Length": .string(length), "Content-Type": "application/json", "Date": .string(date),
            "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": .string(requestId),
            "X-Amzn-Trace-Id": .string(trace),
        ]
        guard let payload else {
            // No function ran (yet): no executed version, an empty payload.
            var all = all, headers = headers
            all["X-Amz-Executed-Version"] = nil
            headers["X-Amz-Executed-Version"] = nil
            return [
                "Payload": "", "SdkHttpMetadata": ["AllHttpHeaders": .object(all), "HttpHeaders": .object(headers), "HttpStatusCode": .int(statusCode)],
                "SdkResponseMetadata": ["RequestId": .string(requestId)], "StatusCode": .int(statusCode),
            ]
        }
        return [
            "ExecutedVersion": "$LATEST", "Payload": payload,
            "SdkHttpMetadata": ["AllHttpHeaders": .object(all), "HttpHeaders": .object(headers), "HttpStatusCode": 200],
            "SdkResponseMetadata": ["RequestId": .string(requestId)], "StatusCode": 200,
        ]
    }

    /// RFC 7231's date (`Thu, 26 Nov 2026 03:16:12 GMT`), written directly: it is made for
    /// every lambda:invoke result, and a date formatter per call would cost more than the rest.
    static func httpDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }
}

/// Work started in the background and not waited for by its starter, kept until it ends so
/// that it can be waited for at the end (`LambdaTaskInvoker.waitForEvents`).
final class AsynchronousInvocations: Sendable {
    private let running = Mutex<(next: UInt64, tasks: [UInt64: Task<Void, Never>])>((0, [:]))

    func start(_ work: @escaping @Sendable () async -> Void) {
        running.withLock { running in
            let number = running.next
            running.next += 1
            // Inserted under the lock the task's own removal takes: never removed before it is in.
            running.tasks[number] = Task.detached { [self] in
                await work()
                _ = self.running.withLock { $0.tasks.removeValue(forKey: number) }
            }
        }
    }

    var count: Int { running.withLock { $0.tasks.count } }

    func waitForAll() async {
        while let task = running.withLock({ $0.tasks.values.first }) { await task.value }
    }
}

/// A function reference as Lambda accepts it: a name, `name:qualifier`,
/// `account:function:name[:qualifier]` or a full ARN.
/// Parsed function references by the text they were parsed from.
final class ReferenceCache: Sendable {
    private let parsed = Mutex<[String: FunctionReference]>([:])

    func reference(_ text: String, parse: () -> FunctionReference?) -> FunctionReference? {
        if let known = parsed.withLock({ $0[text] }) { return known }
        guard let reference = parse() else { return nil }
        parsed.withLock { $0[text] = reference }
        return reference
    }
}

/// A function as a Task names it, parsed once per text (`ReferenceCache`) and shared by every
/// Task that names it: an object, so a Task takes one reference rather than a copy of each part.
final class FunctionReference: Sendable {
    let name: String
    /// The registry's function of that name, if it has one.
    let hosted: PluginHost.Function?
    let qualifier: String?
    let region: String
    let account: String
    let unqualifiedArn: String
    /// The ARN the caller used: with its qualifier, if it gave one.
    let invokedArn: String

    convenience init?(_ text: String, region defaultRegion: String, account defaultAccount: String, host: PluginHost) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var region = defaultRegion, account = defaultAccount
        let name: String, qualifier: String?
        if parts.count <= 2 {
            name = parts[0]
            qualifier = parts.count == 2 ? parts[1] : nil
        } else if parts.count <= 4, parts[1] == "function" {
            account = parts[0]
            name = parts[2]
            qualifier = parts.count == 4 ? parts[3] : nil
        } else if parts.count <= 8, parts.count >= 7, parts[0] == "arn", parts[2] == "lambda", parts[5] == "function" {
            region = parts[3]
            account = parts[4]
            name = parts[6]
            qualifier = parts.count == 8 ? parts[7] : nil
        } else {
            return nil
        }
        if name.isEmpty || qualifier?.isEmpty == true { return nil }
        self.init(name: name, hosted: host.function(named: name), qualifier: qualifier, region: region, account: account)
    }

    init(name: String, hosted: PluginHost.Function?, qualifier: String?, region: String, account: String) {
        self.name = name
        self.hosted = hosted
        self.qualifier = qualifier
        self.region = region
        self.account = account
        let unqualified = "arn:aws:lambda:\(region):\(account):function:\(name)"
        unqualifiedArn = unqualified
        invokedArn = qualifier.map { "\(unqualified):\($0)" } ?? unqualified
    }

    /// The same function with `lambda:invoke`'s `Qualifier`.
    func qualified(_ qualifier: String) -> FunctionReference {
        FunctionReference(name: name, hosted: hosted, qualifier: qualifier, region: region, account: account)
    }
}

/// What one Task asks of Lambda: which function, with which event, and whether the answer
/// is wrapped in `lambda:invoke`'s envelope.
struct LambdaCall {
    /// `lambda:invoke`'s `InvocationType`.
    enum InvocationType: String {
        case requestResponse = "RequestResponse", event = "Event", dryRun = "DryRun"
    }

    let function: FunctionReference
    var payload: JSONValue
    var envelope: Bool
    var invocationType = InvocationType.requestResponse
    /// `ClientContext`, decoded: what the function sees as `context.client_context`.
    var clientContext: JSONObject?

    /// The error Lambda's API answers a parameter it does not take with.
    static let invalidParameter = "Lambda.InvalidParameterValueException"

    /// The cause for a `FunctionName` that names no function in any form Lambda takes.
    static func notAFunctionName(_ text: String) -> String { "The function name \(text) is not a Lambda function name or ARN" }

    /// Lambda's limit on `ClientContext` (its Base64 text).
    static let clientContextLimit = 3583
}

extension LambdaCall {
    /// `request` is borrowed: taken as an initializer's argument, it was copied for each Task.
    /// In an extension, so that it can end in the memberwise initializer: with the fields
    /// assigned one by one, the call was made aside and then copied out whole.
    init(_ request: borrowing TaskRequest, region: String, account: String, host: PluginHost, references: ReferenceCache? = nil) throws(ExecutionFailure) {
        let resource = request.resource
        func parse(_ text: String) -> FunctionReference? {
            references?.reference(text) { FunctionReference(text, region: region, account: account, host: host) }
                ?? FunctionReference(text, region: region, account: account, host: host)
        }
        if resource.hasBytePrefix("arn:aws:lambda:") || resource.hasBytePrefix("arn:aws-") && resource.contains(":lambda:") {
            guard let function = parse(resource) else {
                throw ExecutionFailure(LambdaTaskInvoker.unsupportedResource, cause: "The resource \(resource) is not a Lambda function ARN")
            }
            self.init(function: function, payload: request.payload, envelope: false)
            return
        }
        guard resource == "arn:aws:states:::lambda:invoke" else {
            throw ExecutionFailure(
                LambdaTaskInvoker.unsupportedResource,
                cause: "Statesman cannot run the resource \(resource) yet: Task states run Lambda functions (a function ARN or arn:aws:states:::lambda:invoke) through the function registry")
        }
        guard case .string(let name)? = request.payload["FunctionName"] else {
            throw ExecutionFailure(.runtime, cause: "The Parameters of a lambda:invoke task need the string field FunctionName")
        }
        guard let named = parse(name) else {
            throw ExecutionFailure(ErrorName(Self.invalidParameter), cause: Self.notAFunctionName(name))
        }
        var function = named
        if case .string(let qualifier)? = request.payload["Qualifier"] { function = named.qualified(qualifier) }
        var invocationType = InvocationType.requestResponse
        if let value = request.payload["InvocationType"] {
            guard let text = value.stringValue, let type = InvocationType(rawValue: text) else {
                throw ExecutionFailure(
                    ErrorName(Self.invalidParameter),
                    cause: "InvocationType must be RequestResponse, Event or DryRun, not \(value.stringValue ?? value.compactString)")
            }
            invocationType = type
        }
        var clientContext: JSONObject?
        if let value = request.payload["ClientContext"] {
            clientContext = try Self.clientContext(value)
        }
        // A missing or null Payload reaches the function as an empty object, and a string is
        // sent as the request body itself (JSON text stays JSON), as on AWS.
        let payload: JSONValue
        switch request.payload["Payload"] {
        case nil, .null?: payload = [:]
        case .string(let text)?: payload = (try? JSONValue(parsing: text)) ?? .string(text)
        case let value?: payload = value
        }
        self.init(function: function, payload: payload, envelope: true, invocationType: invocationType, clientContext: clientContext)
    }

    /// `ClientContext`: Base64 text of a JSON object, at most 3,583 bytes.
    static func clientContext(_ value: JSONValue) throws(ExecutionFailure) -> JSONObject {
        let invalid = ExecutionFailure(
            ErrorName(Self.invalidParameter), cause: "Client context must be a valid Base64-encoded JSON object.")
        guard case .string(let text) = value else { throw invalid }
        guard text.utf8.count <= clientContextLimit else {
            throw ExecutionFailure(
                ErrorName(Self.invalidParameter),
                cause: "Client context is \(text.utf8.count) bytes, more than the limit of \(clientContextLimit) bytes.")
        }
        guard let data = Data(base64Encoded: text), case .object(let object)? = try? JSONValue(parsing: Array(data)) else { throw invalid }
        return object
    }
}
