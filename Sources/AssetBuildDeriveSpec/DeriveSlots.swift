import Foundation
import Synchronization

/// A bound on derivations in flight, shared by the toolchains (in process and the worker's
/// client): `acquire` waits, first come first served, until one of `limit` slots is free.
/// A slot is released by whoever holds it, which need not be the task that took it (the worker's
/// client keeps an abandoned request's slot until the worker has answered it).
package final class DeriveSlots: Sendable {
    private struct State {
        var free: Int
        var nextTicket: UInt64 = 0
        /// Waiting tasks in arrival order (tickets rise).
        var waiters: [(ticket: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    package let limit: Int
    private let state: Mutex<State>

    package init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(free: max(1, limit)))
    }

    /// Takes a slot, waiting for one if all are held; `.cancelled` if the task is cancelled
    /// before it gets one (then it holds none).
    package func acquire() async throws(DeriveError) {
        let ticket = state.withLock { s in
            s.nextTicket += 1
            return s.nextTicket
        }
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLock { s in
                    if Task.isCancelled { return false }
                    if s.free > 0 {
                        s.free -= 1
                        return true
                    }
                    s.waiters.append((ticket, continuation))
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                s.waiters.firstIndex { $0.ticket == ticket }.map { s.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(returning: false)
        }
        if !granted { throw .cancelled }
    }

    /// Gives a slot back: to the longest waiter, or to the pool.
    package func release() {
        let next = state.withLock { s in
            if s.waiters.isEmpty {
                s.free = min(s.free + 1, limit)
                return nil as CheckedContinuation<Bool, Never>?
            }
            return s.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }

    /// Slots held right now.
    package var inUse: Int { limit - state.withLock { $0.free } }
}
