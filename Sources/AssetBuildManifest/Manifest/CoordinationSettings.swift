import Yams
import AssetBuildSupport
import AssetBuildCoordination

/// `coordination:`: what the runners of one API account share. `redis:` is the Redis that holds
/// the shared images-per-minute limit and the leases per action key; `ASSETBUILD_REDIS_URL`
/// overrides it (CI secrets). Without either, each process keeps its own limiter and leases.
public struct CoordinationSettings: Sendable, Equatable {
    public var redis: RedisURL?
    /// Where `redis:` is written, for later diagnostics.
    public var redisLocation: SourceLocation?

    public init(redis: RedisURL? = nil, redisLocation: SourceLocation? = nil) {
        self.redis = redis
        self.redisLocation = redisLocation
    }

    package static let keys = ["redis"]
    /// The environment variable that overrides `coordination.redis`.
    public static let redisVariable = "ASSETBUILD_REDIS_URL"

    package static func parse(_ node: Node, tree: inout YAMLTree) -> CoordinationSettings {
        var settings = CoordinationSettings()
        guard let entries = tree.entries(of: node, context: "'coordination'") else { return settings }
        tree.checkKeys(entries, known: keys)
        for (key, _, value) in entries where key == "redis" {
            guard let text = tree.string(value, for: "coordination.redis") else { continue }
            do {
                let url = try RedisURL.parse(text)
                if url.password != nil {
                    // The manifest is committed; the diagnostic's source line is shown redacted.
                    tree.error("a password does not belong in the manifest, which is committed", at: value,
                               notes: ["set \(redisVariable)=redis://:PASSWORD@\(url.host):\(url.port)/\(url.database) in the environment (a CI secret) instead; it overrides coordination.redis"])
                    continue
                }
                settings.redis = url
                settings.redisLocation = tree.location(value)
            } catch {
                tree.error("'coordination.redis': \(error.description)", at: value)
            }
        }
        return settings
    }

    /// The Redis to use: `ASSETBUILD_REDIS_URL` when it is set and not empty, else `redis:`.
    /// A bad URL in the environment is an error that names the variable.
    public func resolvedRedis(environment: [String: String]) throws(RedisURL.Invalid) -> RedisURL? {
        guard let text = environment[Self.redisVariable], !text.isEmpty else { return redis }
        do {
            return try RedisURL.parse(text)
        } catch {
            throw RedisURL.Invalid(description: "\(Self.redisVariable): \(error.description)")
        }
    }
}
