import Foundation
import Warehouse

/// Lets a signal handler stop a run: no new steps start, and statements in flight are cancelled on the
/// server (PQcancel), so their transactions roll back and every relation keeps its previous state.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var connections: [any WarehouseConnection] = []
    private var _reason: Int32?

    public init() {}

    /// The signal that cancelled the run, if any.
    public var reason: Int32? { lock.withLock { _reason } }

    func register(_ connection: any WarehouseConnection) {
        lock.withLock { connections.append(connection) }
    }

    /// Called from a signal handler's queue.
    public func cancel(signal: Int32) {
        let toCancel: [any WarehouseConnection] = lock.withLock {
            if _reason == nil { _reason = signal }
            return connections
        }
        for c in toCancel { c.cancel() }
    }
}
