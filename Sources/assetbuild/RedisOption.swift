import AssetBuildCore

extension GlobalOptions {
    /// The Redis shared with other runners (rate limit, leases): `ASSETBUILD_REDIS_URL`, else
    /// `coordination.redis`; nil for neither. A bad URL in the environment exits 2 naming the
    /// variable (one in the manifest was reported with its position when it loaded).
    func redis(_ manifest: Manifest) throws -> RedisURL? {
        do {
            return try manifest.coordination.resolvedRedis(environment: environment)
        } catch {
            throw DiagnosticsError([.error(error.description, at: nil)])
        }
    }
}
