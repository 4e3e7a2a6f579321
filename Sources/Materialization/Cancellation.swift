import Foundation
import Synchronization
import Warehouse

/// Lets a signal handler (or the schema-lock watchdog) stop a run: no new steps start, and statements in flight
/// are cancelled on the server (PQcancel), so their transactions roll back and every relation keeps its previous state.
public final class Cancellation: Sendable {
    private struct State {
        var connections: [any WarehouseConnection] = []
        var reason: Int32?
        var lockLost: String?
    }
    private let state = Mutex(State())

    public init() {}

    /// The signal that cancelled the run, if any.
    public var reason: Int32? { state.withLock { $0.reason } }

    /// Why the run lost its schema lock, if it did (then it stopped as after a signal).
    public var lockLost: String? { state.withLock { $0.lockLost } }

    /// Whether the run was stopped, by a signal or a lost lock.
    public var isStopped: Bool { state.withLock { $0.reason != nil || $0.lockLost != nil } }

    /// The schema lock is gone: stop as a signal does.
    func stop(lockLost why: String) {
        let toCancel: [any WarehouseConnection] = state.withLock {
            if $0.lockLost == nil { $0.lockLost = why }
            return $0.connections
        }
        for c in toCancel { c.cancel() }
    }

    func register(_ connection: any WarehouseConnection) {
        state.withLock { $0.connections.append(connection) }
    }

    /// Called from a signal handler's queue.
    public func cancel(signal: Int32) {
        let toCancel: [any WarehouseConnection] = state.withLock {
            if $0.reason == nil { $0.reason = signal }
            return $0.connections
        }
        for c in toCancel { c.cancel() }
    }
}
