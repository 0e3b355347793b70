#!/usr/bin/env python3
"""Statesman's Python runner: hosts an unmodified Lambda-style handler as a plugin.

    statesman_runner.py --handler module.function [--code DIR]
    statesman_runner.py --shell SCRIPT [--code DIR]

It speaks the plugin protocol v1 (protocol/README.md) on stdin/stdout: it says hello, then
runs each invocation with `handler(event, context)`, one at a time, as Lambda does. A raised
exception becomes an error message with Lambda's errorType/errorMessage/stackTrace. Anything
the handler prints goes to stderr, which the engine logs; stdout carries only protocol lines.

With --shell, each invocation runs SCRIPT with the event as JSON on its stdin; what it prints
on stdout is the result (JSON, or else a string), and a non-zero exit is an error.

Only the standard library is used.
"""

import decimal
import errno
import importlib
import json
import logging
import os
import re
import select
import signal
import stat
import subprocess
import sys
import threading
import time
import traceback

PROTOCOL_VERSIONS = [1]
# Lambda's limit on a synchronous response, and what Lambda answers past it.
RESPONSE_LIMIT_BYTES = 6291556
RESPONSE_TOO_LARGE = "Response payload size exceeded maximum allowed payload size (%d bytes)." % RESPONSE_LIMIT_BYTES


class Client:
    """The mobile client of a ClientContext, as Lambda's Python runtime gives it."""

    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    """`context.client_context`: what the caller passed as lambda:invoke's ClientContext."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, fields):
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None
        self.custom = fields.get("custom")
        self.env = fields.get("env")


class CognitoIdentity:
    """`context.identity`, as Lambda's Python runtime gives it to a function not invoked
    through the mobile SDK: both fields None."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self):
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None


class LambdaContext:
    """The context object Lambda passes to a Python handler, plus two Statesman extras:
    `send_heartbeat()` and `statesman` (execution, state, attempt, task token).

    Built once per invocation, so it keeps the invoke's context as it came and reads fields
    only when the handler asks (most handlers never do). The context is most often still
    unparsed: `fields` is then the invoke line and `at` where the context begins in it (see
    `read_invoke`); otherwise `at` is -1 and `fields` the context's value."""

    __slots__ = ("_runner", "_id", "_fields", "_at", "_started")

    tenant_id = None

    def __init__(self, runner, invocation_id, fields, at, started):
        self._runner = runner
        self._id = invocation_id
        self._fields = fields
        self._at = at
        self._started = started

    @property
    def _context(self):
        fields = self._fields
        if self._at >= 0:
            fields = self._fields = parse_context(fields, self._at)
            self._at = -1
        if type(fields) is not dict:
            fields = self._fields = {}
        return fields

    def _field(self, name, default):
        value = self._context.get(name)
        return self._runner.function.get(name, default) if value is None else value

    @property
    def aws_request_id(self):
        return self._context.get("requestId", "")

    @property
    def function_name(self):
        return self._field("functionName", "")

    @property
    def function_version(self):
        return self._context.get("functionVersion", "$LATEST")

    @property
    def invoked_function_arn(self):
        return self._field("invokedFunctionArn", "")

    @property
    def memory_limit_in_mb(self):
        # Lambda's Python runtime gives the memory size as the string from its environment.
        return str(self._field("memoryLimitInMB", 128))

    @property
    def log_group_name(self):
        return "/aws/lambda/" + self.function_name

    @property
    def log_stream_name(self):
        return "statesman/" + str(os.getpid())

    @property
    def client_context(self):
        fields = self._context.get("clientContext")
        return ClientContext(fields) if isinstance(fields, dict) else None

    @property
    def statesman(self):
        fields = self._context
        return {
            "execution": fields.get("execution"),
            "state": fields.get("state"),
            "attempt": fields.get("attempt", 0),
            "taskToken": fields.get("taskToken"),
        }

    @property
    def identity(self):
        return CognitoIdentity()

    def w3c(self):
        """The W3C trace context the caller passed (none: Step Functions passes none)."""
        return {}

    def log(self, message):
        """Writes to the function's log, as `context.log` does in Lambda."""
        sys.stderr.write(str(message))
        sys.stderr.flush()

    def get_remaining_time_in_millis(self):
        deadline = self._started + self._field("timeoutMs", 3000) / 1000.0
        return max(0, int((deadline - time.monotonic()) * 1000))

    def send_heartbeat(self):
        """Tells the engine this invocation is alive (resets the state's HeartbeatSeconds)."""
        self._runner.write({"type": "heartbeat", "id": self._id})


class DecimalFound(Exception):
    """A result holds a `decimal.Decimal`: `encode_decimals` writes it."""


def unserializable(value):
    """The encoders' `default`: JSONEncoder's refusal, except for a Decimal."""
    if isinstance(value, decimal.Decimal):
        raise DecimalFound()
    raise TypeError("Object of type %s is not JSON serializable" % value.__class__.__name__)


# One encoder and decoder for the whole run: json.dumps/loads would build them per call.
encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=unserializable).encode
_decoder = json.JSONDecoder()
decode_json = _decoder.decode
scan_json = _decoder.scan_once
encode_basestring = json.encoder.encode_basestring


def make_value_encoder():
    """`encode_json` for the results' payloads, without its per-call cost: JSONEncoder.encode
    builds CPython's C encoder anew for every value; this one is built once. (The same
    output; where there is no C encoder, `encode_json` itself.)"""
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return encode_json
    markers = {}  # the circular-reference check's, emptied after a failed encoding
    # The C encoder's arguments are CPython's internals: a Python whose encoder takes other
    # arguments, or writes otherwise (see the probe below), gets `encode_json`.
    try:
        encoder = make_encoder(markers, unserializable, encode_basestring, None, ":", ",", False, False, False)
    except Exception:
        return encode_json

    def encode(value):
        try:
            return "".join(encoder(value, 0))
        except BaseException:
            markers.clear()
            raise

    probe = {"text": "é\n\"", "numbers": [1, -2.5, 1e300], "flags": [True, False, None], "nested": {"": []}}
    try:
        return encode if encode(probe) == encode_json(probe) else encode_json
    except Exception:
        return encode_json


encode_value = make_value_encoder()


def encode_decimals(value):
    """`encode_value` for a result that holds Decimals (boto3 reads DynamoDB's numbers as
    them): each is written as the number it holds, digit for digit, as Lambda's runtime writes
    it. A NaN or infinite one is refused, as a float's is. Each is stood in for by a string
    no result holds (a per-call random token), which is then replaced by its number."""
    token = "\x00statesman-decimal-%s-" % os.urandom(8).hex()
    numbers = []

    def stand_in(item):
        if isinstance(item, decimal.Decimal):
            if not item.is_finite():
                raise ValueError("Out of range float values are not JSON compliant")
            numbers.append(str(item))
            return token + str(len(numbers) - 1)
        if isinstance(item, dict):
            return {key: stand_in(member) for key, member in item.items()}
        if isinstance(item, (list, tuple)):
            return [stand_in(member) for member in item]
        return item

    text = encode_value(stand_in(value))
    quoted = re.escape(encode_basestring(token)[:-1]) + r'(\d+)"'
    return re.sub(quoted, lambda found: numbers[int(found.group(1))], text)


# The host's invoke layout: these three, then the context, last.
INVOKE_PREFIX = '{"type":"invoke","id":'
PAYLOAD_KEY = ',"payload":'
# A result line's start: this, its id, PAYLOAD_KEY, the payload and "}".
RESULT_PREFIX = '{"type":"result","id":'
CONTEXT_KEY = ',"context":'
ID_AT = len(INVOKE_PREFIX)
CONTEXT_OPENING = CONTEXT_KEY + "{"


class Unreadable:
    """An invoke's payload nested too deeply for Python to decode, and why."""

    __slots__ = ("problem",)

    def __init__(self, problem):
        self.problem = problem


def read_invoke(text):
    """An invoke line in the layout Statesman's host writes (type, id, payload, then the
    context last) as (id, the id's JSON as the line has it, payload, the line, where the
    context begins in it), leaving the context to `parse_context` when the handler asks for
    it (most never do, and it is most of the line); None for any other line. The payload is
    `Unreadable` when it cannot be decoded for its depth."""
    if not (text.endswith("}}\n") or text.rstrip(" \t\n\r").endswith("}}")):
        return None
    try:
        invocation_id, end = scan_json(text, ID_AT)
        quoted_id = text[ID_AT:end]
        if not text.startswith(PAYLOAD_KEY, end):
            return None
        try:
            payload, end = scan_json(text, end + len(PAYLOAD_KEY))
        except RecursionError as problem:
            return invocation_id, quoted_id, Unreadable(str(problem)), None, -1
    except StopIteration:
        return None
    if not text.startswith(CONTEXT_OPENING, end):
        return None
    return invocation_id, quoted_id, payload, text, end + len(CONTEXT_KEY)


def parse_context(text, start):
    """The context of an invoke line `read_invoke` accepted, which begins at `start`."""
    try:
        fields, end = scan_json(text, start)
    except (StopIteration, ValueError, RecursionError):
        fields, end = None, len(text)
    if text[end:].strip(" \t\n\r") != "}":
        # Members after the context, or a broken line: the whole line decides.
        try:
            message = decode_json(text)
            fields = message.get("context") if isinstance(message, dict) else None
        except (ValueError, RecursionError) as problem:
            sys.stderr.write("statesman_runner.py: the invoke line cannot be decoded (%s); its context is left empty\n" % problem)
            fields = None
    return fields if isinstance(fields, dict) else {}


def read_message(text):
    """The JSON value of one protocol line (text, newline included); ValueError when it is
    not one. Parsed by the decoder's scanner, the common case, or else by the decoder itself,
    which allows surrounding whitespace and says what is wrong."""
    try:
        value, end = scan_json(text, 0)
    except StopIteration:
        return decode_json(text)
    if end == len(text) or not text[end:].strip(" \t\n\r"):  # JSON's whitespace only
        return value
    return decode_json(text)


class RequestIds(logging.Filter):
    """Gives each log record the request id of the invocation running (`context`)."""

    context = None

    def filter(self, record):
        record.aws_request_id = self.context.aws_request_id if self.context is not None else ""
        return True


def log_as_lambda(request_ids):
    """The root logger writes to the function's log (stderr) in the format of Lambda's Python
    runtime, `[LEVEL]<tab>time<tab>request id<tab>message`, at the level the handler sets
    (WARNING until it does, as in Lambda)."""
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)


class Runner:
    def __init__(self, out_fd):
        self.out_fd = out_fd
        self.lock = threading.Lock()
        # A write of up to PIPE_BUF bytes to a pipe goes in whole, never mixed with another
        # writer's: lines that short need no lock. (A handler's threads may send heartbeats,
        # so the longer lines, written in parts, take it.)
        self.atomic_bytes = getattr(select, "PIPE_BUF", 512) if stat.S_ISFIFO(os.fstat(out_fd).st_mode) else 0
        self.function = {}
        self.limit_lines(6291456)

    def limit_lines(self, max_line):
        """The host's line limit (its welcome says it): a result line must fit in it. A line
        of fewer than a quarter of `long_line` characters fits without being counted."""
        self.max_line = max_line
        self.long_line = min(RESPONSE_LIMIT_BYTES, max_line)

    def write(self, message):
        """Writes a message, from any thread."""
        self.write_rest((json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8"), 0)

    def write_line(self, text):
        """Writes a line from the main thread, which alone writes answers."""
        data = (text + "\n").encode("utf-8")
        written = os.write(self.out_fd, data) if len(data) <= self.atomic_bytes else 0
        if written < len(data):
            self.write_rest(data, written)

    def write_rest(self, data, written):
        """Writes `data` from byte `written` on, under the lock: a pipe takes a long line in
        parts, and a heartbeat must not land between them."""
        with self.lock:
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(self.out_fd, view) :]

    def error(self, invocation_id, error_type, message, stack=None):
        self.write({"type": "error", "id": invocation_id, "errorType": error_type, "errorMessage": message, "stackTrace": stack or []})

    def result(self, invocation_id, value, quoted_id=None):
        """Answers with `value`. `quoted_id` is the id's JSON, when the invoke line gave it."""
        if quoted_id is None:
            quoted_id = encode_basestring(invocation_id) if type(invocation_id) is str else encode_json(invocation_id)
        # Most answers are a value JSON holds as it is, in a line a pipe takes whole.
        try:
            payload = encode_value(value)
        except Exception:
            payload = None  # bytes, a Decimal, or what JSON cannot hold: see `answer`
        if payload is not None:
            line = RESULT_PREFIX + quoted_id + PAYLOAD_KEY + payload + "}"
            # A character takes at most four bytes: only a long line needs counting (`answer`).
            if len(line) * 4 < self.long_line:
                self.write_line(line)
                return
        self.answer(invocation_id, value, quoted_id, payload)

    def answer(self, invocation_id, value, quoted_id, payload):
        """`result` for a value it did not answer: `payload` is its JSON if it has one."""
        try:
            if isinstance(value, (bytes, bytearray)):
                # Lambda returns bytes as the response body unchanged: JSON text stays JSON.
                text = bytes(value).decode("utf-8")
                try:
                    value = decode_json(text)
                except ValueError:
                    value = text
            if payload is None:
                try:
                    payload = encode_value(value)
                except DecimalFound:
                    payload = encode_decimals(value)
        except Exception as problem:
            # As Lambda's runtime: whatever stops the encoding (a type JSON cannot hold, a
            # result nested too deeply) is a marshal error, and the worker stays up.
            self.error(invocation_id, "Runtime.MarshalError", "Unable to marshal response: " + str(problem))
            return
        line = RESULT_PREFIX + quoted_id + PAYLOAD_KEY + payload + "}"
        # Past Lambda's limit, or past the host's line limit (a few bytes lower with the
        # envelope), the answer is Lambda's own, without stack trace (its service gives it, not
        # the runtime).
        if len(line) * 4 >= self.long_line:
            size = len(payload.encode("utf-8"))
            if size > RESPONSE_LIMIT_BYTES or size + len(line) - len(payload) + 1 > self.max_line:
                self.write({"type": "error", "id": invocation_id, "errorType": "Function.ResponseSizeTooLarge", "errorMessage": RESPONSE_TOO_LARGE})
                return
        self.write_line(line)


def handler_frames(trace):
    """Lambda's stackTrace: the handler's frames, formatted as Python formats them."""
    frames = traceback.extract_tb(trace)
    here = os.path.abspath(__file__)
    return traceback.format_list([frame for frame in frames if os.path.abspath(frame.filename) != here])


class HandlerFault(Exception):
    """Why the handler cannot be loaded, named as Lambda's Python runtime names it."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.trace = trace or []


def load_handler(spec):
    """The function `spec` (module.function) names. A handler Lambda could not load raises
    `HandlerFault` with Lambda's error type and message; whatever else the module raises as it
    is imported goes up as it is (Lambda reports it under its own name)."""
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as problem:
        raise HandlerFault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (spec, problem))
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise HandlerFault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % module_name)
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as problem:
        raise HandlerFault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, problem))
    except SyntaxError as problem:
        trace = ['  File "%s" Line %s\n    %s' % (problem.filename, problem.lineno, problem.text)]
        raise HandlerFault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, problem), trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise HandlerFault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))


def run_shell(script, event, context):
    environment = dict(os.environ)
    environment["STATESMAN_REQUEST_ID"] = context.aws_request_id
    environment["STATESMAN_REMAINING_MS"] = str(context.get_remaining_time_in_millis())
    environment["STATESMAN_ATTEMPT"] = str(context.statesman["attempt"])
    event_text = json.dumps(event, separators=(",", ":")).encode("utf-8")
    pause = 0.005
    while True:
        try:
            completed = subprocess.run([script], input=event_text, stdout=subprocess.PIPE, stderr=None, env=environment)
            break
        except OSError as problem:
            # "Text file busy": a process still holds the script open for writing; most often
            # one that was forked while the script was being written, which lets it go as it
            # starts its own program. Tried again for a little over a second.
            if problem.errno == errno.ETXTBSY and pause < 0.7:
                time.sleep(pause)
                pause *= 2
                continue
            # As Lambda names an entrypoint it cannot run; the reason said plainly (the system's
            # own, "No such file or directory" for a script that is there, misleads).
            raise ShellError("Runtime.InvalidEntrypoint", "Cannot run %s: %s" % (script, why_not_runnable(script, problem)))
    text = completed.stdout.decode("utf-8", errors="replace").strip()
    try:
        value = json.loads(text) if text else None
    except ValueError:
        value = text
    if completed.returncode != 0:
        if isinstance(value, dict) and isinstance(value.get("errorType"), str):
            raise ShellError(value["errorType"], str(value.get("errorMessage", "")))
        raise ShellError("Shell.ExitError", "%s exited with status %d" % (os.path.basename(script), completed.returncode))
    return value


def why_not_runnable(script, problem):
    """What stopped `script` from starting, in words a script's author can act on."""
    if not os.path.exists(script):
        return "it does not exist"
    if not os.access(script, os.X_OK):
        return "it is not executable (chmod +x)"
    try:
        with open(script, "rb") as file:
            first = file.readline(4096)
    except OSError:
        first = b""
    if first.startswith(b"#!"):
        interpreter = first[2:].strip(b" \t\n").split(b" ")[0]
        if interpreter.endswith(b"\r"):
            return "its first line ends in a carriage return (Windows line endings), so its interpreter is %r" % interpreter.decode("utf-8", "replace")
        if not os.path.exists(interpreter):
            return "its interpreter %s does not exist" % interpreter.decode("utf-8", "replace")
    elif problem.errno == errno.ENOEXEC:
        return "it is neither a binary nor a script starting with #!"
    if problem.errno == errno.ETXTBSY:
        return "another process still holds it open for writing (Text file busy)"
    return problem.strerror or str(problem)


class ShellError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main(arguments):
    handler_spec = shell_script = None
    code = os.getcwd()
    index = 0
    while index < len(arguments):
        option = arguments[index]
        value = arguments[index + 1] if index + 1 < len(arguments) else None
        if option == "--handler" and value:
            handler_spec = value
        elif option == "--shell" and value:
            shell_script = value
        elif option == "--code" and value:
            code = value
        else:
            sys.stderr.write("usage: statesman_runner.py (--handler module.function | --shell SCRIPT) [--code DIR]\n")
            return 2
        index += 2
    if not handler_spec and not shell_script:
        sys.stderr.write("statesman_runner.py: give --handler or --shell\n")
        return 2

    # A process group of its own, which the host signals as a whole: a shell function's script
    # and what it leaves running stop with this worker. (Ctrl-C on a terminal then reaches
    # the engine, which stops its workers, and not the worker; it ignores it anyway.)
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # stdin and stdout belong to the protocol: keep private copies of them, send fd 1 (print,
    # child processes) to stderr, and give fd 0 /dev/null, as Lambda gives a function (code
    # that reads stdin reads nothing, instead of the next invocations).
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    protocol_in = os.fdopen(in_fd, "rb")
    runner = Runner(out_fd)
    request_ids = RequestIds()
    log_as_lambda(request_ids)
    name = handler_spec or os.path.basename(shell_script)
    runner.write({"type": "hello", "protocol": PROTOCOL_VERSIONS, "name": "python:" + name, "concurrency": 1})

    if code not in sys.path:
        sys.path.insert(0, code)
    handler = None
    import_problem = None  # Lambda reports it on every invocation
    if handler_spec:
        try:
            handler = load_handler(handler_spec)
        except HandlerFault as fault:
            import_problem = (fault.error_type, str(fault), fault.trace)
        except Exception as problem:  # raised by the module's own code as it was imported
            import_problem = (type(problem).__name__, str(problem), handler_frames(problem.__traceback__))
    else:
        handler = lambda event, context: run_shell(shell_script, event, context)

    for line in protocol_in:
        try:
            text = line.decode("utf-8")
            invoke = read_invoke(text) if text.startswith(INVOKE_PREFIX) else None
            if invoke is None:
                message = read_message(text)
        except ValueError:
            sys.stderr.write("statesman_runner.py: ignoring a line that is not JSON\n")
            continue
        except RecursionError as problem:
            sys.stderr.write("statesman_runner.py: ignoring a line nested too deeply to decode (%s)\n" % problem)
            continue
        if invoke is None:
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "welcome":
                runner.function = message.get("function") or {}
                if type(message.get("maxLineBytes")) is int:
                    runner.limit_lines(message["maxLineBytes"])
            elif kind == "shutdown":
                return 0
            if kind != "invoke":
                # "cancel": invocations run one at a time, so there is nothing to stop;
                # unknown types are ignored, as the protocol requires.
                continue
            invoke = message.get("id"), None, message.get("payload"), message.get("context"), -1
        invocation_id, quoted_id, payload, context_fields, context_at = invoke
        started = time.monotonic()
        if import_problem:
            runner.error(invocation_id, *import_problem)
            continue
        if type(payload) is Unreadable:  # as Lambda's runtime reports an event it cannot decode
            runner.error(invocation_id, "Runtime.UnmarshalError", "Unable to unmarshal input: " + payload.problem)
            continue
        context = request_ids.context = LambdaContext(runner, invocation_id, context_fields, context_at, started)
        try:
            value = handler(payload, context)
        except ShellError as problem:
            runner.error(invocation_id, problem.error_type, str(problem))
            continue
        except MemoryError:
            runner.error(invocation_id, "Runtime.OutOfMemory", "The function ran out of memory (its setting is %s MB)" % context.memory_limit_in_mb)
            continue
        except Exception as problem:
            runner.error(invocation_id, type(problem).__name__, str(problem), handler_frames(problem.__traceback__))
            continue
        runner.result(invocation_id, value, quoted_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
