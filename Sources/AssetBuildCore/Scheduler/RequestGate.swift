/// Admission for paid requests: at most `concurrency` in flight, first come first served.
/// The per-model images-per-minute limiter slots in here (a request reserves its image count).
public actor RequestGate {
    private let capacity: Int
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(concurrency: Int) {
        self.capacity = max(1, concurrency)
    }

    public var requestsInFlight: Int { inFlight }

    /// Waits for a slot. Call `release()` exactly once afterwards.
    public func acquire(model: String, images: Int) async {
        if inFlight < capacity {
            inFlight += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Wakes every waiter (the build was cancelled); each checks cancellation after `acquire`.
    public func cancelAll() {
        let all = waiters
        waiters.removeAll()
        inFlight += all.count
        for w in all { w.resume() }
    }

    /// Gives the slot back; `unusedImages` returns reserved images a group did not use.
    public func release(model: String, unusedImages: Int = 0) {
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
