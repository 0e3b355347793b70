import Foundation
import GRDB
import GRDBSQLite
import JSONCore

#if canImport(Glibc)
    import Glibc
    private let closeFile = Glibc.close
#elseif canImport(Darwin)
    import Darwin
    private let closeFile = Darwin.close
#endif

/// The execution store in a SQLite file (WAL mode), through GRDB. The schema comes from named
/// migrations that are only ever appended: a released migration is never edited, a change is
/// a new one.
public final class SQLiteExecutionStore: ExecutionStore {
    private let queue: DatabaseQueue
    public let path: String

    /// Opens (creating when needed) the database at `path` and brings its schema up to date.
    /// `busyTimeout`: how long to wait for another process that holds the database locked.
    /// A file that is not SQLite, a SQLite database of another program and one written by a
    /// newer Statesman are refused, with the reason, and left as they are.
    public init(path: String, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        // The nearest part of the path that exists must be a directory.
        var existing = directory
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: existing.path, isDirectory: &isDirectory), existing.path != "/" {
            existing.deleteLastPathComponent()
        }
        if !isDirectory.boolValue { throw ExecutionStoreError("\(existing.path) is a file, not a directory") }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            // Foundation's own description, not its dump of the error's domain and user info.
            throw ExecutionStoreError("cannot create the directory \(directory.path): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        do {
            // Processes that open a new store at the same moment would race to set WAL mode
            // (which does not wait for a busy database) and would both see the migrations as
            // not applied (GRDB reads that outside a transaction): one opening at a time.
            var opened: DatabaseQueue?
            try Self.whileLocked(path + ".open-lock") {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.writeWithoutTransaction { db in
                    try Self.checkOwnership(db, path: path)
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                    // Each commit reaches the disk before the engine goes on: a power loss
                    // keeps everything committed.
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    // 16 MB of page cache: a Map Run writes at the ends of its indexes (children
                    // have time-ordered names), and 64 MB bought no speed but cost ~50 MB of
                    // peak memory (bench/RESULTS.md).
                    try db.execute(sql: "PRAGMA cache_size = -16384")
                    // Fewer, larger checkpoints: pages written again and again (the Map Run's
                    // counts, the ends of the indexes) are copied into the database once.
                    try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
                }
                try Self.migrator.migrate(queue)
                opened = queue
            }
            queue = opened!
        } catch let error as ExecutionStoreError {
            throw error
        } catch {
            throw ExecutionStoreError("The execution store \(path) cannot be opened: \(Self.describe(error))")
        }
    }

    /// Runs `body` holding an exclusive `flock` on `lockPath` (created when missing), which
    /// the kernel releases if the process dies.
    static func whileLocked(_ lockPath: String, _ body: () throws -> Void) throws {
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ExecutionStoreError("The execution store's lock file \(lockPath) cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { _ = closeFile(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ExecutionStoreError("The execution store's lock file \(lockPath) cannot be locked: \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        try body()
    }

    /// Refuses a database that holds another program's tables, or migrations this version of
    /// Statesman does not know (a newer one wrote it).
    private static func checkOwnership(_ db: Database, path: String) throws {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        guard !tables.isEmpty else { return }
        guard tables.contains("grdb_migrations"), tables.contains("execution") else {
            throw ExecutionStoreError(
                "The file \(path) is a SQLite database of another program (its tables: \(tables.sorted().joined(separator: ", "))), not a Statesman execution store; it was left unchanged")
        }
        let known = Set(migrator.migrations)
        let unknown = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw ExecutionStoreError(
                "The execution store \(path) was written by a newer Statesman (it has the migrations \(unknown.joined(separator: ", "))); use that version, or another --state directory")
        }
    }

    /// SQLite's failures in words a user can act on.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "it is locked by another process (\(error.message ?? "database is locked"))"
        case .SQLITE_FULL: return "the disk is full (\(error.message ?? "database or disk is full")); nothing committed before was lost"
        case .SQLITE_IOERR:
            return "writing to the disk failed (\(error.message ?? "disk I/O error")): the disk may be full or failing; nothing committed before was lost"
        case .SQLITE_NOTADB: return "it is not a SQLite database (\(error.message ?? "file is not a database"))"
        case .SQLITE_CORRUPT: return "the database is damaged (\(error.message ?? "database disk image is malformed"))"
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: return "it cannot be written (\(error.message ?? "\(error.resultCode)"))"
        default: return "\(error)"
        }
    }

    /// The schema's history. Append new migrations; never edit one that was released.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-26 state machines, executions, events, map runs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE state_machine (
                        arn TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, created REAL NOT NULL, latest_version INTEGER NOT NULL);
                    CREATE TABLE state_machine_version (
                        state_machine_arn TEXT NOT NULL REFERENCES state_machine(arn), version INTEGER NOT NULL, definition TEXT NOT NULL,
                        created REAL NOT NULL, PRIMARY KEY (state_machine_arn, version));
                    CREATE TABLE execution (
                        arn TEXT PRIMARY KEY, state_machine_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, start_date REAL NOT NULL,
                        stop_date REAL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, version INTEGER NOT NULL, map_run_arn TEXT);
                    CREATE INDEX execution_by_machine ON execution(state_machine_arn, start_date);
                    CREATE TABLE history_event (
                        execution_arn TEXT NOT NULL REFERENCES execution(arn), id INTEGER NOT NULL, event TEXT NOT NULL,
                        PRIMARY KEY (execution_arn, id));
                    CREATE TABLE map_run (
                        arn TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, status TEXT NOT NULL, start_date REAL NOT NULL, stop_date REAL,
                        description TEXT NOT NULL);
                    CREATE INDEX map_run_by_execution ON map_run(execution_arn);
                    """)
        }
        migrator.registerMigration("2026-11-26 stop requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stop_request (
                        execution_arn TEXT PRIMARY KEY REFERENCES execution(arn), error TEXT, cause TEXT, requested REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("2026-11-26 child executions by map run") { db in
            try db.execute(sql: "CREATE INDEX execution_by_map_run ON execution(map_run_arn)")
        }
        migrator.registerMigration("2026-11-26 checkpoints and map run completions") { db in
            try db.execute(
                sql: """
                    ALTER TABLE execution ADD COLUMN launch TEXT;
                    ALTER TABLE execution ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE execution ADD COLUMN redrive_date REAL;
                    ALTER TABLE map_run ADD COLUMN state_entered_event_id INTEGER;
                    CREATE INDEX map_run_by_state_visit ON map_run(execution_arn, state_entered_event_id);
                    CREATE TABLE checkpoint (
                        execution_arn TEXT PRIMARY KEY REFERENCES execution(arn), state_name TEXT NOT NULL, input TEXT NOT NULL,
                        variables TEXT NOT NULL, entered_event_id INTEGER NOT NULL, entered REAL NOT NULL, succeeded TEXT);
                    CREATE TABLE map_run_child (
                        map_run_arn TEXT NOT NULL, child_index INTEGER NOT NULL, item_count INTEGER NOT NULL, status TEXT NOT NULL,
                        results TEXT NOT NULL, PRIMARY KEY (map_run_arn, child_index)) WITHOUT ROWID;
                    -- A finished child execution's whole history in one row (a JSON array): a
                    -- Map Run has many children and each history is written once.
                    CREATE TABLE child_history (execution_arn TEXT PRIMARY KEY REFERENCES execution(arn), events TEXT NOT NULL);
                    CREATE TABLE task_token (
                        token TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, state_name TEXT NOT NULL, status TEXT NOT NULL, output TEXT,
                        error TEXT, cause TEXT, heartbeat REAL, created REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("2026-11-27 map run completions keyed by number") { db in
            // A completion row named its Map Run by ARN (about 100 bytes, more than the rest of
            // a one-item child's row): with a number, 100,000 such children take 7.7 MB, not 19.3.
            try db.execute(
                sql: """
                    CREATE TABLE map_run_number (number INTEGER PRIMARY KEY, arn TEXT NOT NULL UNIQUE);
                    CREATE TABLE map_run_completion (
                        map_run INTEGER NOT NULL REFERENCES map_run_number(number), child_index INTEGER NOT NULL,
                        item_count INTEGER NOT NULL, status TEXT NOT NULL, results TEXT NOT NULL, PRIMARY KEY (map_run, child_index)) WITHOUT ROWID;
                    INSERT INTO map_run_number (arn) SELECT DISTINCT map_run_arn FROM map_run_child ORDER BY map_run_arn;
                    INSERT INTO map_run_completion (map_run, child_index, item_count, status, results)
                        SELECT number, child_index, item_count, status, results FROM map_run_child JOIN map_run_number ON arn = map_run_arn;
                    DROP TABLE map_run_child;
                    """)
        }
        migrator.registerMigration("2026-11-27 child executions in a table of their own") { db in
            // A Map Run's Standard children are written once, when they end, a few hundred at a
            // time: one row each, with the history, and two indexes (their ARN; their Map Run by
            // number) rather than a row in `execution` under four indexes and one in
            // `child_history` under another.
            try db.execute(
                sql: """
                    CREATE TABLE child_execution (
                        id INTEGER PRIMARY KEY, map_run INTEGER NOT NULL REFERENCES map_run_number(number), arn TEXT NOT NULL UNIQUE,
                        state_machine_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, start_date REAL NOT NULL, stop_date REAL,
                        input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, version INTEGER NOT NULL, events TEXT NOT NULL);
                    CREATE INDEX child_execution_by_map_run ON child_execution(map_run, start_date);
                    INSERT INTO map_run_number (arn)
                        SELECT DISTINCT map_run_arn FROM execution WHERE map_run_arn IS NOT NULL AND map_run_arn NOT IN (SELECT arn FROM map_run_number)
                        ORDER BY map_run_arn;
                    INSERT INTO child_execution (
                            map_run, arn, state_machine_arn, name, status, start_date, stop_date, input, output, error, cause, version, events)
                        SELECT number, execution.arn, state_machine_arn, name, status, start_date, stop_date, input, output, error, cause, version,
                            coalesce(
                                (SELECT events FROM child_history WHERE execution_arn = execution.arn),
                                (SELECT '[' || group_concat(event, ',') || ']' FROM
                                    (SELECT event FROM history_event WHERE execution_arn = execution.arn ORDER BY id)),
                                '[]')
                        FROM execution JOIN map_run_number ON map_run_number.arn = map_run_arn ORDER BY execution.rowid;
                    DELETE FROM history_event WHERE execution_arn IN (SELECT arn FROM child_execution);
                    DROP TABLE child_history;
                    DELETE FROM execution WHERE map_run_arn IS NOT NULL;
                    DROP INDEX execution_by_map_run;
                    """)
        }
        return migrator
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let error as ExecutionStoreError { throw error } catch let error as ServiceError { throw error } catch {
            throw ExecutionStoreError("The execution store \(path) failed: \(Self.describe(error))")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as ExecutionStoreError { throw error } catch {
            throw ExecutionStoreError("The execution store \(path) failed: \(Self.describe(error))")
        }
    }

    // MARK: - State machines

    public func registerStateMachine(arn: String, name: String, type: String, definition: String, at date: Date) throws -> (machine: StateMachineRecord, version: Int) {
        try write { db in
            var machine = try Self.machine(arn, db) ?? StateMachineRecord(arn: arn, name: name, type: type, created: date, latestVersion: 0)
            if machine.latestVersion > 0,
                let latest = try String.fetchOne(
                    db, sql: "SELECT definition FROM state_machine_version WHERE state_machine_arn = ? AND version = ?", arguments: [arn, machine.latestVersion]),
                latest == definition
            {
                return (machine, machine.latestVersion)
            }
            machine.latestVersion += 1
            machine.type = type
            try db.execute(
                sql: """
                    INSERT INTO state_machine (arn, name, type, created, latest_version) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(arn) DO UPDATE SET type = excluded.type, latest_version = excluded.latest_version
                    """, arguments: [arn, machine.name, type, machine.created.timeIntervalSince1970, machine.latestVersion])
            try db.execute(
                sql: "INSERT INTO state_machine_version (state_machine_arn, version, definition, created) VALUES (?, ?, ?, ?)",
                arguments: [arn, machine.latestVersion, definition, date.timeIntervalSince1970])
            return (machine, machine.latestVersion)
        }
    }

    private static func machine(_ arn: String, _ db: Database) throws -> StateMachineRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM state_machine WHERE arn = ?", arguments: [arn]).map(Self.machine)
    }

    private static func machine(_ row: Row) -> StateMachineRecord {
        StateMachineRecord(
            arn: row["arn"], name: row["name"], type: row["type"], created: Date(timeIntervalSince1970: row["created"]), latestVersion: row["latest_version"])
    }

    public func stateMachines() throws -> [StateMachineRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM state_machine ORDER BY name").map(Self.machine) }
    }

    public func versions(of stateMachineArn: String) throws -> [StateMachineVersion] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM state_machine_version WHERE state_machine_arn = ? ORDER BY version", arguments: [stateMachineArn]).map {
                StateMachineVersion(version: $0["version"], definition: $0["definition"], created: Date(timeIntervalSince1970: $0["created"]))
            }
        }
    }

    // MARK: - Executions

    private static func arguments(_ execution: ExecutionRecord) -> StatementArguments {
        [
            execution.arn, execution.stateMachineArn, execution.name, execution.status, execution.startDate.timeIntervalSince1970,
            execution.stopDate?.timeIntervalSince1970, execution.input, execution.output, execution.error, execution.cause, execution.version,
            execution.mapRunArn, execution.launch, execution.redriveCount, execution.redriveDate?.timeIntervalSince1970,
        ]
    }

    private static let insertExecution = """
        INSERT INTO execution (
            arn, state_machine_arn, name, status, start_date, stop_date, input, output, error, cause, version, map_run_arn, launch, redrive_count, redrive_date)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    public func insert(_ execution: ExecutionRecord) throws {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM execution WHERE arn = ?", arguments: [execution.arn]) == nil else {
                throw ExecutionStoreError("The execution \(execution.arn) already exists")
            }
            try db.execute(sql: Self.insertExecution, arguments: Self.arguments(execution))
        }
    }

    public func update(_ execution: ExecutionRecord) throws {
        try write { db in try Self.update(execution, db) }
    }

    public func finish(_ execution: ExecutionRecord, events: [JSONValue]) throws {
        try write { db in
            try Self.append(events, to: execution.arn, db)
            try Self.update(execution, db)
        }
    }

    private static func update(_ execution: ExecutionRecord, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE execution SET status = ?, stop_date = ?, output = ?, error = ?, cause = ? WHERE arn = ?",
            arguments: [execution.status, execution.stopDate?.timeIntervalSince1970, execution.output, execution.error, execution.cause, execution.arn])
        guard db.changesCount == 1 else { throw ExecutionStoreError("There is no execution \(execution.arn)") }
    }

    private static func execution(_ row: Row) -> ExecutionRecord {
        ExecutionRecord(
            arn: row["arn"], stateMachineArn: row["state_machine_arn"], name: row["name"], status: row["status"],
            startDate: Date(timeIntervalSince1970: row["start_date"]), stopDate: (row["stop_date"] as Double?).map { Date(timeIntervalSince1970: $0) },
            input: row["input"], output: row["output"], error: row["error"], cause: row["cause"], version: row["version"], mapRunArn: row["map_run_arn"],
            launch: row["launch"], redriveCount: row["redrive_count"], redriveDate: (row["redrive_date"] as Double?).map { Date(timeIntervalSince1970: $0) })
    }

    public func execution(_ arn: String) throws -> ExecutionRecord? {
        try read { db in try Self.execution(arn, db) }
    }

    /// A top-level execution, or a Map Run's child.
    private static func execution(_ arn: String, _ db: Database) throws -> ExecutionRecord? {
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM execution WHERE arn = ?", arguments: [arn]) { return execution(row) }
        return try Row.fetchOne(db, sql: "\(childColumns) WHERE child_execution.arn = ?", arguments: [arn]).map(execution)
    }

    /// A child's row with the columns of `execution`.
    private static let childColumns = """
        SELECT child_execution.arn, state_machine_arn, name, status, start_date, stop_date, input, output, error, cause, version,
            map_run_number.arn AS map_run_arn, NULL AS launch, 0 AS redrive_count, NULL AS redrive_date
        FROM child_execution JOIN map_run_number ON number = map_run
        """

    public func executions(stateMachineArn: String?, status: String?) throws -> [ExecutionRecord] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM execution WHERE map_run_arn IS NULL AND (?1 IS NULL OR state_machine_arn = ?1) AND (?2 IS NULL OR status = ?2)
                    ORDER BY start_date DESC, arn DESC
                    """, arguments: [stateMachineArn, status]
            ).map(Self.execution)
        }
    }

    public func children(of mapRunArn: String) throws -> [ExecutionRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "\(Self.childColumns) WHERE map_run_number.arn = ? ORDER BY start_date DESC, child_execution.arn DESC", arguments: [mapRunArn]
            ).map(Self.execution)
        }
    }

    // MARK: - History

    public func append(events: [JSONValue], to executionArn: String) throws {
        try write { db in try Self.append(events, to: executionArn, db) }
    }

    private static func append(_ events: [JSONValue], to executionArn: String, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM execution WHERE arn = ?", arguments: [executionArn]) != nil else {
            throw ExecutionStoreError("There is no execution \(executionArn)")
        }
        var last = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM history_event WHERE execution_arn = ?", arguments: [executionArn]) ?? 0
        let insert = try db.cachedStatement(sql: "INSERT INTO history_event (execution_arn, id, event) VALUES (?, ?, ?)")
        for event in events {
            guard let id = event["id"]?.integerValue, id == Int64(last + 1) else {
                throw ExecutionStoreError("Event \(event["id"]?.compactString ?? "?") of \(executionArn) does not follow event \(last)")
            }
            try insert.execute(arguments: [executionArn, id, event.compactString])
            last += 1
        }
    }

    public func history(of executionArn: String) throws -> [JSONValue] {
        try read { db in
            let events = try String.fetchAll(db, sql: "SELECT event FROM history_event WHERE execution_arn = ? ORDER BY id", arguments: [executionArn])
            if events.isEmpty, let child = try String.fetchOne(db, sql: "SELECT events FROM child_execution WHERE arn = ?", arguments: [executionArn]) {
                return try JSONValue(parsing: child).arrayValue ?? []
            }
            return try events.map { try JSONValue(parsing: $0) }
        }
    }

    // MARK: - Checkpoints

    public func commit(events: [JSONValue], checkpoint: Checkpoint, of executionArn: String) throws {
        try write { db in
            try Self.append(events, to: executionArn, db)
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO checkpoint (execution_arn, state_name, input, variables, entered_event_id, entered, succeeded)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    executionArn, checkpoint.stateName, checkpoint.input, checkpoint.variables, checkpoint.enteredEventId,
                    checkpoint.entered.timeIntervalSince1970, checkpoint.succeeded,
                ])
        }
    }

    public func checkpoint(of executionArn: String) throws -> Checkpoint? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoint WHERE execution_arn = ?", arguments: [executionArn]).map {
                Checkpoint(
                    stateName: $0["state_name"], input: $0["input"], variables: $0["variables"], enteredEventId: $0["entered_event_id"],
                    entered: Date(timeIntervalSince1970: $0["entered"]), succeeded: $0["succeeded"])
            }
        }
    }

    public func redrive(_ executionArn: String, at date: Date) throws -> ExecutionRecord {
        try write { db in
            guard var execution = try Self.execution(executionArn, db) else {
                throw ExecutionStoreError("There is no execution \(executionArn)")
            }
            if let reason = execution.notRedrivableReason { throw ServiceError("ExecutionNotRedrivable", reason) }
            execution.redriveCount += 1
            execution.redriveDate = date
            let last = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM history_event WHERE execution_arn = ?", arguments: [executionArn]) ?? 0
            let event: JSONValue = [
                "timestamp": .string(Self.timestamp(date)), "type": "ExecutionRedriven", "id": .int(Int64(last + 1)), "previousEventId": .int(Int64(last)),
                "executionRedrivenEventDetails": ["redriveCount": .int(Int64(execution.redriveCount))],
            ]
            try Self.append([event], to: executionArn, db)
            try db.execute(
                sql: """
                    UPDATE execution SET status = 'RUNNING', stop_date = NULL, output = NULL, error = NULL, cause = NULL, redrive_count = ?, redrive_date = ?
                    WHERE arn = ?
                    """, arguments: [execution.redriveCount, date.timeIntervalSince1970, executionArn])
            try db.execute(sql: "DELETE FROM stop_request WHERE execution_arn = ?", arguments: [executionArn])
            execution.status = "RUNNING"
            execution.stopDate = nil
            execution.output = nil
            execution.error = nil
            execution.cause = nil
            return execution
        }
    }

    /// ISO 8601 with milliseconds, as history events give time.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    // MARK: - Task tokens

    public func register(taskToken: String, executionArn: String, stateName: String, at date: Date) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO task_token (token, execution_arn, state_name, status, created) VALUES (?, ?, ?, 'WAITING', ?)",
                arguments: [taskToken, executionArn, stateName, date.timeIntervalSince1970])
        }
    }

    public func complete(taskToken: String, output: String?, error: String?, cause: String?, at date: Date) throws {
        try write { db in
            try Self.waiting(taskToken, db)
            try db.execute(
                sql: "UPDATE task_token SET status = ?, output = ?, error = ?, cause = ? WHERE token = ?",
                arguments: [output != nil ? "SUCCEEDED" : "FAILED", output, error, cause, taskToken])
        }
    }

    public func heartbeat(taskToken: String, at date: Date) throws {
        try write { db in
            try Self.waiting(taskToken, db)
            try db.execute(sql: "UPDATE task_token SET heartbeat = ? WHERE token = ?", arguments: [date.timeIntervalSince1970, taskToken])
        }
    }

    public func close(taskToken: String) throws {
        try write { db in try db.execute(sql: "UPDATE task_token SET status = 'CLOSED' WHERE token = ? AND status = 'WAITING'", arguments: [taskToken]) }
    }

    /// Refuses a token that is unknown or no longer waited on, as AWS does.
    private static func waiting(_ token: String, _ db: Database) throws {
        guard let status = try String.fetchOne(db, sql: "SELECT status FROM task_token WHERE token = ?", arguments: [token]) else {
            throw ServiceError("TaskDoesNotExist", "Task does not exist anymore")
        }
        guard status == "WAITING" else { throw ServiceError("TaskTimedOut", "Task Timed Out") }
    }

    public func taskToken(_ token: String) throws -> TaskTokenRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM task_token WHERE token = ?", arguments: [token]).map {
                TaskTokenRecord(
                    token: $0["token"], executionArn: $0["execution_arn"], stateName: $0["state_name"],
                    status: TaskTokenRecord.Status(rawValue: $0["status"]) ?? .closed, output: $0["output"], error: $0["error"], cause: $0["cause"],
                    heartbeat: ($0["heartbeat"] as Double?).map { Date(timeIntervalSince1970: $0) })
            }
        }
    }

    // MARK: - Stopping

    public func requestStop(of executionArn: String, error: String?, cause: String?, at date: Date) throws {
        try write { db in
            guard let status = try Self.execution(executionArn, db)?.status else { throw ExecutionStoreError("There is no execution \(executionArn)") }
            guard status == "RUNNING" else { throw ExecutionStoreError("The execution \(executionArn) is \(status), not RUNNING") }
            try db.execute(
                sql: "INSERT OR REPLACE INTO stop_request (execution_arn, error, cause, requested) VALUES (?, ?, ?, ?)",
                arguments: [executionArn, error, cause, date.timeIntervalSince1970])
        }
    }

    public func stopRequest(for executionArn: String) throws -> StopRequest? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM stop_request WHERE execution_arn = ?", arguments: [executionArn]).map {
                StopRequest(error: $0["error"], cause: $0["cause"], requested: Date(timeIntervalSince1970: $0["requested"]))
            }
        }
    }

    // MARK: - Map Runs

    public func save(mapRun: MapRunRecord) throws {
        try write { db in try Self.save(mapRun, db) }
    }

    private static func save(_ mapRun: MapRunRecord, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO map_run (arn, execution_arn, status, start_date, stop_date, description, state_entered_event_id) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(arn) DO UPDATE SET status = excluded.status, stop_date = excluded.stop_date, description = excluded.description,
                    state_entered_event_id = coalesce(excluded.state_entered_event_id, map_run.state_entered_event_id)
                """,
            arguments: [
                mapRun.arn, mapRun.executionArn, mapRun.status, mapRun.startDate.timeIntervalSince1970, mapRun.stopDate?.timeIntervalSince1970,
                mapRun.description.compactString, mapRun.stateEnteredEventId,
            ])
    }

    public func commit(mapRun: MapRunRecord, completions: [ChildCompletion], children: [(record: ExecutionRecord, history: String)]) throws {
        try write { db in
            try Self.save(mapRun, db)
            guard !completions.isEmpty || !children.isEmpty else { return }
            let number = try Self.number(of: mapRun.arn, db)
            try Self.insert(completions, of: mapRun.arn, number: number, db)
            try Self.insert(children, number: number, db)
        }
    }

    /// Children per statement, as for completions (a child takes 13 of a statement's values).
    private static let childrenPerStatement = 32

    private static func insert(_ children: [(record: ExecutionRecord, history: String)], number: Int64, _ db: Database) throws {
        var start = 0
        while start < children.count {
            let rows = children[start..<min(start + childrenPerStatement, children.count)]
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO child_execution (map_run, arn, state_machine_arn, name, status, start_date, stop_date, input, output, error, cause, version, events)
                    VALUES \(repeatElement("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows.count).joined(separator: ", "))
                    """)
            try BoundValues.execute(statement, db) { values in
                for (record, history) in rows {
                    values.append(number)
                    values.append(record.arn)
                    values.append(record.stateMachineArn)
                    values.append(record.name)
                    values.append(record.status)
                    values.append(record.startDate.timeIntervalSince1970)
                    values.append(record.stopDate?.timeIntervalSince1970)
                    values.append(record.input)
                    values.append(record.output)
                    values.append(record.error)
                    values.append(record.cause)
                    values.append(Int64(record.version))
                    values.append(history)
                }
            }
            start += rows.count
        }
    }

    /// The Map Run's number in `map_run_completion`, given on its first completion.
    private static func number(of mapRunArn: String, _ db: Database) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO map_run_number (arn) VALUES (?) ON CONFLICT (arn) DO NOTHING").execute(arguments: [mapRunArn])
        return try Int64.fetchOne(db.cachedStatement(sql: "SELECT number FROM map_run_number WHERE arn = ?"), arguments: [mapRunArn])!
    }

    /// Completions per statement: with one row per statement, binding and stepping each
    /// statement cost more than storing its row.
    private static let completionsPerStatement = 64

    private static func insert(_ completions: [ChildCompletion], of mapRunArn: String, number: Int64, _ db: Database) throws {
        // A child that failed may be recorded again (a redriven run ran it again); one that
        // succeeded may not: its row is left as it was, so fewer rows change than were given.
        var start = 0
        while start < completions.count {
            let rows = completions[start..<min(start + completionsPerStatement, completions.count)]
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO map_run_completion (map_run, child_index, item_count, status, results)
                    VALUES \(repeatElement("(?, ?, ?, ?, ?)", count: rows.count).joined(separator: ", "))
                    ON CONFLICT (map_run, child_index) DO UPDATE SET item_count = excluded.item_count, status = excluded.status, results = excluded.results
                    WHERE map_run_completion.status <> 'SUCCEEDED'
                    """)
            try BoundValues.execute(statement, db) { values in
                for child in rows {
                    values.append(number)
                    values.append(Int64(child.index))
                    values.append(Int64(child.itemCount))
                    values.append(child.status)
                    values.append(child.results)
                }
            }
            if db.changesCount != rows.count {
                let succeeded = try Int.fetchOne(
                    db,
                    sql: """
                        SELECT child_index FROM map_run_completion WHERE map_run = ? AND status = 'SUCCEEDED'
                        AND child_index IN (\(rows.map { String($0.index) }.joined(separator: ", "))) ORDER BY child_index LIMIT 1
                        """,
                    arguments: [number])
                throw ExecutionStoreError("Child \(succeeded.map(String.init) ?? "?") of \(mapRunArn) already succeeded")
            }
            start += rows.count
        }
    }

    public func completions(of mapRunArn: String, after index: Int, limit: Int) throws -> [ChildCompletion] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT child_index, item_count, status, results FROM map_run_completion JOIN map_run_number ON number = map_run
                    WHERE arn = ? AND child_index > ? ORDER BY child_index LIMIT ?
                    """,
                arguments: [mapRunArn, index, limit]
            ).map { ChildCompletion(index: $0["child_index"], itemCount: $0["item_count"], status: $0["status"], results: $0["results"]) }
        }
    }

    public func mapRun(executionArn: String, stateEnteredEventId: Int) throws -> MapRunRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM map_run WHERE execution_arn = ? AND state_entered_event_id = ? ORDER BY start_date DESC LIMIT 1",
                arguments: [executionArn, stateEnteredEventId]
            ).map(Self.mapRun)
        }
    }

    private static func mapRun(_ row: Row) throws -> MapRunRecord {
        MapRunRecord(
            arn: row["arn"], executionArn: row["execution_arn"], status: row["status"], startDate: Date(timeIntervalSince1970: row["start_date"]),
            stopDate: (row["stop_date"] as Double?).map { Date(timeIntervalSince1970: $0) }, description: try JSONValue(parsing: row["description"] as String),
            stateEnteredEventId: row["state_entered_event_id"])
    }

    public func mapRun(_ arn: String) throws -> MapRunRecord? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM map_run WHERE arn = ?", arguments: [arn]).map(Self.mapRun) }
    }

    public func mapRuns(executionArn: String?) throws -> [MapRunRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM map_run WHERE (?1 IS NULL OR execution_arn = ?1) ORDER BY start_date DESC, arn DESC", arguments: [executionArn]
            ).map(Self.mapRun)
        }
    }
}

/// A statement's values bound straight through SQLite's C API: GRDB's `StatementArguments`
/// goes through generic code for each value, which cost a Map Run's writer thread more than
/// SQLite's own work on the rows (one statement carries a few hundred values).
private struct BoundValues {
    private let handle: SQLiteStatement
    private var index: CInt = 0

    private init(_ handle: SQLiteStatement) { self.handle = handle }

    /// Binds the values `bind` appends, in order, and runs the statement once.
    static func execute(_ statement: Statement, _ db: Database, bind: (inout BoundValues) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        var values = BoundValues(handle)
        bind(&values)
        precondition(values.index == sqlite3_bind_parameter_count(handle), "\(values.index) values for \(sqlite3_bind_parameter_count(handle)) parameters")
        let code = sqlite3_step(handle)
        // Reset at once, so that the statement holds no lock and no copied value between uses.
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
        }
    }

    mutating func append(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func append(_ value: Double?) {
        index += 1
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    mutating func append(_ text: String?) {
        index += 1
        guard var text else {
            sqlite3_bind_null(handle, index)
            return
        }
        // SQLite copies the bytes (SQLITE_TRANSIENT) before this returns. An empty string
        // lends no address, and a null address would bind NULL.
        guard !text.isEmpty else {
            sqlite3_bind_text(handle, index, "", 0, transient)
            return
        }
        _ = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(handle, index, $0.baseAddress, CInt($0.count), transient) }
        }
    }
}

/// SQLite's `SQLITE_TRANSIENT` destructor: the bound bytes are copied.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
