import CSQLite3
import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// A value bound to a statement parameter.
package enum SQLValue: Sendable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}

extension SQLValue {
    package static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    package static func optionalText(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    package static func optionalDouble(_ value: Double?) -> SQLValue { value.map(SQLValue.double) ?? .null }
}

/// `SQLITE_TRANSIENT` is a cast macro that does not import: SQLite copies the bound bytes.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection: a thin direct wrapper (STACK.md §3). Not thread-safe by itself;
/// `BuildCache` keeps it inside a `Mutex`, which is what makes it safe to share.
package final class SQLiteConnection {
    package let path: String
    private var handle: OpaquePointer?
    /// Prepared once (`SQLITE_PREPARE_PERSISTENT`) and reused: the SQL text is the key.
    private var statements: [String: SQLiteStatement] = [:]

    package init(path: String, busyTimeoutMilliseconds: Int32) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw CacheError.sqlite(path: path, code: rc, message: message, during: "opening")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit { close() }

    package func close() {
        statements.values.forEach { $0.finalize() }
        statements = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        let text = message.map { String(cString: $0) }
        sqlite3_free(message)
        if rc != SQLITE_OK { throw error(rc, during: sql, message: text) }
    }

    /// A cached prepared statement, reset and with the given parameters bound.
    package func prepare(_ sql: String, _ values: [SQLValue] = []) throws -> SQLiteStatement {
        let statement: SQLiteStatement
        if let cached = statements[sql] {
            statement = cached
            statement.reset()
        } else {
            var raw: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
            guard rc == SQLITE_OK, let raw else { throw error(rc, during: sql) }
            statement = SQLiteStatement(raw, connection: self, sql: sql)
            statements[sql] = statement
        }
        try statement.bind(values)
        return statement
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    package func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        let statement = try prepare(sql, values)
        defer { statement.reset() }
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Calls `row` for each result row.
    package func query(_ sql: String, _ values: [SQLValue] = [], row: (SQLiteStatement) throws -> Void) throws {
        let statement = try prepare(sql, values)
        defer { statement.reset() }
        while try statement.step() { try row(statement) }
    }

    /// The first column of the first row, as an integer (0 when there is no row or it is NULL).
    package func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int64 {
        var value: Int64 = 0
        var seen = false
        try query(sql, values) { if !seen { value = $0.int64(0); seen = true } }
        return value
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so `busy_timeout`
    /// applies and two writers never deadlock upgrading a read lock.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A read transaction, so several bulk loads see one consistent snapshot.
    package func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }

    package func error(_ rc: Int32, during sql: String, message: String? = nil) -> CacheError {
        let primary = rc & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED { return .busy(path: path) }
        if primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB { return .corruptDatabase(path: path) }
        let text = message ?? handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return .sqlite(path: path, code: rc, message: text, during: sql)
    }
}

/// A prepared statement owned by its connection.
package final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection
    package let sql: String

    package init(_ raw: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.raw = raw
        self.connection = connection
        self.sql = sql
    }

    package func finalize() { sqlite3_finalize(raw) }

    package func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    package func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            let i = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(raw, i)
            case .int(let v): rc = sqlite3_bind_int64(raw, i, v)
            case .double(let v): rc = sqlite3_bind_double(raw, i, v)
            case .text(let v): rc = sqlite3_bind_text(raw, i, v, -1, transient)
            }
            if rc != SQLITE_OK { throw connection.error(rc, during: sql) }
        }
    }

    /// Advances to the next row; false when done.
    package func step() throws -> Bool {
        let rc = sqlite3_step(raw)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = connection.error(rc, during: sql)
        sqlite3_reset(raw)
        throw error
    }

    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }
    package func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(raw, column)) }
    package func double(_ column: Int32) -> Double { sqlite3_column_double(raw, column) }
    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    package func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    package func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    package func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    package func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }
}
