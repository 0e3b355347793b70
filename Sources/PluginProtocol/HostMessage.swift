import JSONCore

/// What the function is, as the plugin learns it in `welcome` and each invocation's context.
public struct FunctionIdentity: Sendable, Equatable {
    public var name: String
    public var version: String
    public var arn: String
    public var memoryLimitInMB: Int
    public var timeoutMilliseconds: Int

    public init(name: String, version: String = "$LATEST", arn: String, memoryLimitInMB: Int, timeoutMilliseconds: Int) {
        self.name = name
        self.version = version
        self.arn = arn
        self.memoryLimitInMB = memoryLimitInMB
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

extension FunctionIdentity {
    /// What an invoke line's context says about the function, as the two runs of bytes around
    /// the invoked ARN's value: `,"functionName":…,"functionVersion":…,"invokedFunctionArn":`
    /// and `,"memoryLimitInMB":…,"timeoutMs":…,"attempt":`. The host encodes them once per
    /// function and copies them into each of its invoke lines (`HostMessage.writeInvoke`).
    public var invokeLineParts: (head: [UInt8], tail: [UInt8]) {
        var head = JSONByteBuffer(capacity: 96)
        head.write(raw: #","functionName":"#)
        head.write(string: name)
        head.write(raw: #","functionVersion":"#)
        head.write(string: version)
        head.write(raw: #","invokedFunctionArn":"#)
        var tail = JSONByteBuffer(capacity: 64)
        tail.write(raw: #","memoryLimitInMB":"#)
        tail.write(integer: Int64(memoryLimitInMB))
        tail.write(raw: #","timeoutMs":"#)
        tail.write(integer: Int64(timeoutMilliseconds))
        tail.write(raw: #","attempt":"#)
        return (head.bytes, tail.bytes)
    }
}

/// The per-invocation context: Lambda's context fields plus where in a workflow the call
/// comes from.
public struct InvocationContext: Sendable, Equatable {
    /// 0 for the first try, then 1, 2, ... for retries. (Declared first, so that the memberwise
    /// initializer's labels differ from the public one's, which hands it everything.)
    public var attempt: Int
    public var requestId: String
    /// The ARN the caller used (with its qualifier, if it gave one).
    public var invokedFunctionArn: String
    public var executionArn: String?
    public var executionName: String?
    public var stateName: String?
    public var stateEnteredTime: String?
    public var taskToken: String?
    /// `lambda:invoke`'s `ClientContext`, decoded (Lambda's `context.client_context`).
    public var clientContext: JSONObject?
}

extension InvocationContext {
    // In an extension, so that it can hand everything to the memberwise initializer: with the
    // fields assigned one by one, the value was made aside and then copied out whole (a retain
    // and a release of every field, for every invocation).
    public init(
        requestId: String, invokedFunctionArn: String, executionArn: String? = nil, executionName: String? = nil,
        stateName: String? = nil, stateEnteredTime: String? = nil, attempt: Int = 0, taskToken: String? = nil,
        clientContext: JSONObject? = nil
    ) {
        self.init(
            attempt: attempt, requestId: requestId, invokedFunctionArn: invokedFunctionArn, executionArn: executionArn,
            executionName: executionName, stateName: stateName, stateEnteredTime: stateEnteredTime, taskToken: taskToken,
            clientContext: clientContext)
    }
}

/// What the host says on a plugin's stdin.
public enum HostMessage: Sendable, Equatable {
    /// The answer to `hello`: the version both sides will speak, and the function.
    case welcome(protocolVersion: Int64, function: FunctionIdentity)
    case invoke(id: String, payload: JSONValue, function: FunctionIdentity, context: InvocationContext)
    /// The host no longer wants the result of invocation `id`.
    case cancel(id: String)
    /// Finish what is running and exit within `graceMilliseconds`.
    case shutdown(graceMilliseconds: Int)

    /// The message as one protocol line, newline included.
    public var line: [UInt8] {
        var buffer = JSONByteBuffer(capacity: 256)
        write(to: &buffer)
        return buffer.bytes
    }

    /// Writes the line (newline included) to `sink`. An invocation, the message sent most
    /// often, is written field by field, without building an object first. (A buffer, not any
    /// `JSONByteSink`: printing to a concrete buffer runs JSONCore's specialized code.)
    public func write(to sink: inout JSONByteBuffer) {
        guard case .invoke(let id, let payload, let function, let context) = self else {
            JSONValue.object(object).write(to: &sink)
            sink.write(0x0A)
            return
        }
        Self.writeInvoke(id: id, payload: payload, function: function, context: context, to: &sink)
    }

    /// Writes an invoke line as `write(to:)` does.
    public static func writeInvoke(id: String, payload: JSONValue, function: FunctionIdentity, context: InvocationContext, to sink: inout JSONByteBuffer) {
        let (head, tail) = function.invokeLineParts
        head.withUnsafeBufferPointer { head in
            tail.withUnsafeBufferPointer { tail in
                sink.write(raw: #"{"type":"invoke","id":"#)
                sink.write(string: id)
                writeInvokeRest(payload: payload, function: (head, tail), context: context, to: &sink)
            }
        }
    }

    /// Writes the invoke line of invocation `number` (its id is the number's digits) from
    /// borrowed parts, with the function's part encoded already
    /// (`FunctionIdentity.invokeLineParts`): the host calls this for every invocation, and
    /// building the message first would copy (and retain) every string of the context.
    public static func writeInvoke(
        number: UInt64, payload: JSONValue, function: (head: UnsafeBufferPointer<UInt8>, tail: UnsafeBufferPointer<UInt8>),
        context: borrowing InvocationContext, to sink: inout JSONByteBuffer
    ) {
        sink.write(raw: #"{"type":"invoke","id":""#)
        sink.write(integer: Int64(truncatingIfNeeded: number))
        sink.write(UInt8(ascii: "\""))
        writeInvokeRest(payload: payload, function: function, context: context, to: &sink)
    }

    /// An invoke line from `,"payload":` on.
    private static func writeInvokeRest(
        payload: JSONValue, function: (head: UnsafeBufferPointer<UInt8>, tail: UnsafeBufferPointer<UInt8>),
        context: borrowing InvocationContext, to sink: inout JSONByteBuffer
    ) {
        func raw(_ text: StaticString) { sink.write(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
        func string(_ text: String) { sink.write(string: text) }
        raw(#","payload":"#)
        payload.write(to: &sink)
        raw(#","context":{"requestId":"#)
        string(context.requestId)
        sink.write(function.head)
        string(context.invokedFunctionArn)
        sink.write(function.tail)
        sink.write(integer: Int64(context.attempt))
        if context.executionArn != nil || context.executionName != nil {
            raw(#","execution":{"#)
            if let arn = context.executionArn {
                raw(#""arn":"#)
                string(arn)
                if context.executionName != nil { raw(",") }
            }
            if let name = context.executionName {
                raw(#""name":"#)
                string(name)
            }
            raw("}")
        }
        if let name = context.stateName {
            raw(#","state":{"name":"#)
            string(name)
            if let entered = context.stateEnteredTime {
                raw(#","enteredTime":"#)
                string(entered)
            }
            raw("}")
        }
        if let token = context.taskToken {
            raw(#","taskToken":"#)
            string(token)
        }
        if let clientContext = context.clientContext {
            raw(#","clientContext":"#)
            JSONValue.object(clientContext).write(to: &sink)
        }
        raw("}}\n")
    }

    var object: JSONObject {
        var object = JSONObject()
        switch self {
        case .welcome(let version, let function):
            object["type"] = "welcome"
            object["protocol"] = .int(version)
            object["function"] = [
                "name": .string(function.name), "version": .string(function.version), "arn": .string(function.arn),
                "memoryLimitInMB": .int(Int64(function.memoryLimitInMB)), "timeoutMs": .int(Int64(function.timeoutMilliseconds)),
            ]
            object["maxLineBytes"] = .int(Int64(PluginProtocol.maximumLineBytes))
        case .invoke(let id, let payload, let function, let context):
            object["type"] = "invoke"
            object["id"] = .string(id)
            object["payload"] = payload
            var fields = JSONObject()
            fields["requestId"] = .string(context.requestId)
            fields["functionName"] = .string(function.name)
            fields["functionVersion"] = .string(function.version)
            fields["invokedFunctionArn"] = .string(context.invokedFunctionArn)
            fields["memoryLimitInMB"] = .int(Int64(function.memoryLimitInMB))
            fields["timeoutMs"] = .int(Int64(function.timeoutMilliseconds))
            fields["attempt"] = .int(Int64(context.attempt))
            if context.executionArn != nil || context.executionName != nil {
                var execution = JSONObject()
                if let arn = context.executionArn { execution["arn"] = .string(arn) }
                if let name = context.executionName { execution["name"] = .string(name) }
                fields["execution"] = .object(execution)
            }
            if let name = context.stateName {
                var state = JSONObject()
                state["name"] = .string(name)
                if let entered = context.stateEnteredTime { state["enteredTime"] = .string(entered) }
                fields["state"] = .object(state)
            }
            if let token = context.taskToken { fields["taskToken"] = .string(token) }
            if let clientContext = context.clientContext { fields["clientContext"] = .object(clientContext) }
            object["context"] = .object(fields)
        case .cancel(let id):
            object["type"] = "cancel"
            object["id"] = .string(id)
        case .shutdown(let grace):
            object["type"] = "shutdown"
            object["graceMs"] = .int(Int64(grace))
        }
        return object
    }
}
