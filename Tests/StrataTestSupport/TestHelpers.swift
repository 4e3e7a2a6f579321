import Foundation
import PostgresAdapter

/// A small deterministic random generator (SplitMix64) for the fuzz tests: the same seed, the same inputs.
public struct SplitMix {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

extension PostgresConnection {
    /// Waits (bounded, by polling the database's own state) until a session of this database is blocked on an
    /// advisory lock; returns its pid, or nil after about 10 seconds.
    public func blockedOnAdvisoryLock() throws -> String? {
        for _ in 0..<500 {
            if let pid = try execute("""
                SELECT pid::text FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """).scalar { return pid }
            usleep(20_000)
        }
        return nil
    }
}
