import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildImaging
import AssetBuildPlan

/// A shared remote cache as one build uses it (DESIGN §6): on a local miss, `fetch` brings an
/// action's record and objects, verifies every byte and stores them in the local cache; after a
/// paid action is durable locally, `upload` sends its objects, then its record, so a reader never
/// finds a record without its objects.
///
/// Never worse than local: the first time the remote cannot be reached (refused, timed out, an
/// error status) the build warns once and asks it nothing more; a record or object that fails
/// verification is refused with a warning naming the remote and the key, and never stored.
package final class RemoteCache: Sendable {
    package let store: any RemoteStore
    /// Whether paid results are uploaded (`--upload`, `ASSETBUILD_REMOTE_UPLOAD=1`).
    package let uploads: Bool

    private struct State {
        var down: String?
        var fetched = 0, refused = 0, uploaded = 0
    }
    private let state = Mutex(State())

    package init(store: any RemoteStore, uploads: Bool) {
        self.store = store
        self.uploads = uploads
    }

    package var displayURL: String { store.displayURL }

    /// Nil while the remote answers; otherwise why it was given up on in this process.
    package var unavailable: String? { state.withLock { $0.down } }
    package var counts: (fetched: Int, refused: Int, uploaded: Int) { state.withLock { ($0.fetched, $0.refused, $0.uploaded) } }

    /// Whether the remote holds a record for `key` (a HEAD); nil when it cannot be asked.
    package func has(key: String, warn: (String) -> Void) async -> Bool? {
        guard unavailable == nil else { return nil }
        do { return try await store.has(.ac(key)) } catch { giveUp(error, warn: warn); return nil }
    }

    /// Fetches `key`'s result into `cache`, verified, and returns it as the local cache now records
    /// it; nil on a miss, a refusal or an unreachable remote (each but the miss warned about).
    package func fetch(key: String, target: String, componentsJSON: String, kind: ActionKind, into cache: BuildCache,
                       warn: (String) -> Void) async -> ActionRecord? {
        guard unavailable == nil else { return nil }
        do {
            let fetched: Data?
            do { fetched = try await store.get(.ac(key), limit: RemoteActionRecord.maxBytes) } catch let e as RemoteError where e.oversized {
                throw RemoteActionRecord.Refusal("the action record is larger than any record: \(e.message)")
            }
            guard let data = fetched else { return nil }
            let record = try RemoteActionRecord.decode(data, key: key)
            guard record.kind == kind.rawValue else {
                throw RemoteActionRecord.Refusal("the action record holds \(record.kind), '\(target)' makes \(kind.rawValue)")
            }
            var verified: [(RemoteActionRecord.Output, Data?)] = []
            for output in record.outputs {
                let id = ObjectID(trusted: output.sha256)
                if cache.objects.contains(id), (try? cache.objects.verify(id)) == true {
                    verified.append((output, nil))
                    continue
                }
                let fetched: Data?
                do { fetched = try await store.get(.cas(output.sha256), limit: output.bytes) } catch let e as RemoteError where e.oversized {
                    throw RemoteActionRecord.Refusal("output \(output.index + 1): \(e.message) (forged or damaged)")
                }
                guard let bytes = fetched else {
                    throw RemoteActionRecord.Refusal("the record names object \(output.sha256.prefix(12))…, which the remote does not hold")
                }
                try record.verify(bytes, for: output)
                verified.append((output, bytes))
            }
            // Every byte checked: only now does anything enter the local cache.
            for case (_, let bytes?) in verified { try cache.objects.put(bytes) }
            try cache.forgetAction(key: key)
            try cache.beginAction(key: key, target: target, componentsJSON: componentsJSON, kind: kind)
            for (o, _) in verified {
                try cache.recordImage(actionKey: key, image: ActionImage(index: o.index, object: ObjectID(trusted: o.sha256),
                                                                         width: o.width, height: o.height, byteCount: o.bytes))
            }
            for id in record.requestIDs { try cache.recordRequest(actionKey: key, requestID: id, usage: nil, model: record.model) }
            try cache.finishAction(key: key, status: .complete)
            state.withLock { $0.fetched += 1 }
            return try cache.actions(forKeys: [key])[key]
        } catch let refusal as RemoteActionRecord.Refusal {
            state.withLock { $0.refused += 1 }
            warn("refused the remote cache's result for '\(target)' (\(displayURL), key \(key.prefix(16))…): \(refusal.message); it is not used")
            return nil
        } catch let error as RemoteError {
            giveUp(error, warn: warn)
            return nil
        } catch {
            warn("could not store the remote cache's result for '\(target)' in the local cache: \(error)")
            return nil
        }
    }

    /// Uploads `key`'s complete local result: each object the remote lacks, then the record.
    /// Returns whether the record is up; a failure is warned about (the build goes on).
    @discardableResult
    package func upload(key: String, from cache: BuildCache, warn: (String) -> Void) async -> Bool {
        guard unavailable == nil else { return false }
        do {
            guard let action = try cache.actions(forKeys: [key])[key], action.status == .complete, !action.images.isEmpty else { return false }
            var formats: [Int: String] = [:]
            for image in action.images {
                let bytes = try cache.objects.read(image.object)
                if action.kind == .images { formats[image.index] = (try? ImageProbe.probe(bytes))?.format.rawValue ?? "unknown" }
                if try await !store.has(.cas(image.object.hex)) { try await store.put(.cas(image.object.hex), bytes) }
            }
            try await store.put(.ac(key), try RemoteActionRecord(action, formats: formats).encoded())
            state.withLock { $0.uploaded += 1 }
            return true
        } catch let error as RemoteError {
            giveUp(error, warn: warn)
            return false
        } catch {
            warn("could not upload key \(key.prefix(16))… to the remote cache \(displayURL): \(error)")
            return false
        }
    }

    /// The first failure to reach the remote: warned once, and the remote is left alone from then on.
    private func giveUp(_ error: any Error, warn: (String) -> Void) {
        let first = state.withLock { s -> Bool in
            guard s.down == nil else { return false }
            s.down = "\(error)"
            return true
        }
        if first { warn("remote cache \(displayURL): \(error); going on with the local cache only (no more requests to it in this run)") }
    }
}
