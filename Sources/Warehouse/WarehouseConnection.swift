import Synchronization

/// Rows returned by a statement, as text (the wire's text format), with column names.
public struct QueryResult: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    /// Rows affected by INSERT/UPDATE/DELETE/CREATE TABLE AS/COPY…, when the command reports it.
    public var affectedRows: Int?
    public var commandTag: String
    /// Each column's type OID (`bool` 16, `int8` 20, …) when the driver reports it; empty otherwise.
    public var columnTypes: [UInt32] = []

    public init(columns: [String] = [], rows: [[String?]] = [], affectedRows: Int? = nil, commandTag: String = "") {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// The first column of the first row.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// A database error with the fields PostgreSQL reports.
public struct WarehouseError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case connection, statement, copy, protocolViolation }
    public var kind: Kind
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in the statement, as the server reports it.
    public var position: Int?
    public var context: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil, position: Int? = nil, context: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.position = position
        self.context = context
    }

    public var description: String {
        var s = message
        if let sqlState { s += " (SQLSTATE \(sqlState))" }
        if let detail { s += "\nDETAIL: \(detail)" }
        if let hint { s += "\nHINT: \(hint)" }
        return s
    }

    /// True for errors caused by a lost connection rather than by the statement.
    public var isConnectionFailure: Bool {
        kind == .connection || (sqlState?.hasPrefix("08") ?? false) || sqlState == "57P01"
    }
}

/// One session with a warehouse. Used by one task at a time; parallel work opens one per worker.
public protocol WarehouseConnection: AnyObject, Sendable {
    /// Executes one statement, binding `parameters` ($1, $2…) as text values; nil is SQL NULL.
    @discardableResult
    func execute(_ sql: String, parameters: [String?]) throws -> QueryResult
    /// Runs `COPY … FROM STDIN` and streams `chunks` to it; returns rows copied.
    func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int
    /// Asks the server to cancel the statement running on this connection (safe from another thread).
    func cancel()
    /// Whether the session is still usable; after a dropped connection, workers open a new one.
    var isOpen: Bool { get }
    func close()
}

extension WarehouseConnection {
    @discardableResult
    public func execute(_ sql: String) throws -> QueryResult { try execute(sql, parameters: []) }

    /// Runs `body` in a transaction: COMMIT on success, ROLLBACK on any error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}

/// Opens connections to one warehouse and knows its SQL dialect.
public protocol WarehouseAdapter: Sendable {
    var dialect: SQLDialect { get }
    func connect() throws -> any WarehouseConnection
}

/// A connection opened on first use and shared under a lock: parallel renders that ask the database something
/// (`run_query`, `adapter.get_columns_in_relation`) take turns on it. Queries at render time are rare.
public final class SharedConnection: WarehouseConnection {
    private let open: @Sendable () throws -> any WarehouseConnection
    private let readOnly: Bool
    private let session = Mutex<(any WarehouseConnection)?>(nil)
    /// The opened connection, kept apart from the lock a running statement holds, so `cancel()` can reach it.
    private let opened = Mutex<(any WarehouseConnection)?>(nil)

    /// `readOnly`: the session refuses writes (`default_transaction_read_only`) — for compiles before a build, whose
    /// renders run again when each node is built: a statement that writes then runs once, at build time, as in dbt.
    public init(readOnly: Bool = false, open: @escaping @Sendable () throws -> any WarehouseConnection) {
        self.open = open
        self.readOnly = readOnly
    }

    deinit { close() }

    private func withSession<T>(_ body: (any WarehouseConnection) throws -> T) throws -> T {
        try session.withLock { c in
            if c == nil || c?.isOpen == false {
                let new = try open()
                if readOnly { try new.execute("SET default_transaction_read_only = on") }
                c = new
                opened.withLock { $0 = new }
            }
            return try body(c!)
        }
    }

    @discardableResult
    public func execute(_ sql: String, parameters: [String?]) throws -> QueryResult { try withSession { try $0.execute(sql, parameters: parameters) } }
    public func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int { try withSession { try $0.copyIn(sql, chunks: chunks) } }
    public func cancel() { opened.withLock { $0 }?.cancel() }
    public var isOpen: Bool { true }
    public func close() {
        session.withLock { $0?.close(); $0 = nil }
        opened.withLock { $0 = nil }
    }
}

/// Passes every call to another connection and keeps the text of each statement it ran, in order: what a step
/// executed, for `target/run/` (COPY data and bound parameter values are not kept, only the statements).
public final class RecordingConnection: WarehouseConnection {
    public let base: any WarehouseConnection
    private let log = Mutex<[String]>([])

    public init(_ base: any WarehouseConnection) { self.base = base }

    /// The statements run so far, each ending in a semicolon, separated by blank lines.
    public var script: String {
        log.withLock { statements in
            statements.map { s -> String in
                let t = s.trimmedWhitespace
                return t.hasSuffix(";") ? t : t + ";"
            }.joined(separator: "\n\n") + "\n"
        }
    }

    @discardableResult
    public func execute(_ sql: String, parameters: [String?]) throws -> QueryResult {
        log.withLock { $0.append(sql) }
        return try base.execute(sql, parameters: parameters)
    }
    public func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int {
        log.withLock { $0.append(sql) }
        return try base.copyIn(sql, chunks: chunks)
    }
    public func cancel() { base.cancel() }
    public var isOpen: Bool { base.isOpen }
    public func close() { base.close() }
}
