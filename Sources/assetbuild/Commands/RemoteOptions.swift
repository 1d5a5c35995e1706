import ArgumentParser
import AssetBuildCore
import Foundation

/// `--no-remote`, shared by the commands that read the remote cache.
struct RemoteOptions: ParsableArguments {
    @Flag(name: .customLong("no-remote"), help: "Use the local cache only, whatever cache.remote and ASSETBUILD_REMOTE_CACHE say.")
    var noRemote = false
}

extension GlobalOptions {
    /// The remote cache of this run, from the manifest's `cache:` and the environment (exit 2 for
    /// a malformed ASSETBUILD_REMOTE_CACHE); warnings (no credentials) go to standard error.
    func remoteCache(_ workspace: Workspace, upload: Bool = false, disabled: Bool) throws -> RemoteCache? {
        let setup = try RemoteCacheSetup.resolve(workspace.manifest.cache, environment: environment, upload: upload, disabled: disabled,
                                                 transport: CurlTransport(configuration: CurlTransport.configuration(environment: environment)))
        for w in setup.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        return setup.remote
    }
}
