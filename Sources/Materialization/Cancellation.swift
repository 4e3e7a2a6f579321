import Foundation
import Synchronization
import Warehouse

/// Lets a signal handler stop a run: no new steps start, and statements in flight are cancelled on the
/// server (PQcancel), so their transactions roll back and every relation keeps its previous state.
public final class Cancellation: Sendable {
    private struct State {
        var connections: [any WarehouseConnection] = []
        var reason: Int32?
    }
    private let state = Mutex(State())

    public init() {}

    /// The signal that cancelled the run, if any.
    public var reason: Int32? { state.withLock { $0.reason } }

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
