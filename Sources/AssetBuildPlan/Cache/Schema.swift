import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// The SQLite index of the cache (`<cache>/cache.db`).
///
/// The index maps action keys to the objects they produced, remembers file digests, the last
/// state of each target and what each build directory holds. Image bytes never live here: they
/// are files in `objects/`, which stay on disk when the index is recreated.
///
/// The version is stored in `PRAGMA user_version`. Opening a database reads it first and writes
/// nothing when it matches. An older version is brought up to date by `migrations`, step by step,
/// so the record of what was paid for survives an upgrade; only a version with no path (newer,
/// from another assetbuild) has its index tables dropped and recreated, and
/// `BuildCache.previousSchemaVersion` says so.
package enum Schema {
    /// Version history (bump on every change to `statements`):
    /// * 1: Initial schema: file_digests, actions (kind images|text, request ids and usage
    ///      aggregated on the row), action_images, action_failures, target_states, materialized.
    /// * 2: file_digests remembers each file's image format and pixel size, so reference limits
    ///      are checked on a no-op build without reading the file.
    /// * 3: url_pins: the bytes a `pin: true` URL had when it was downloaded.
    /// * 4: target_states are keyed by project (the manifest's canonical path) and target, so
    ///      projects sharing one cache directory keep their own states and `cache gc` in one keeps
    ///      what the others need. Rows from before have the project '' (see `BuildCache.legacyProject`).
    package static let version: Int32 = 4

    /// The statements that take a database from version N to N + 1, keyed by N.
    package static let migrations: [Int32: [String]] = [
        // Rows without a format are hashed again on first use (the memo requires one).
        1: ["ALTER TABLE file_digests ADD COLUMN format TEXT",
            "ALTER TABLE file_digests ADD COLUMN width INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE file_digests ADD COLUMN height INTEGER NOT NULL DEFAULT 0"],
        2: [urlPins],
        // States recorded before projects were told apart: kept, under no project, so an upgrade
        // forgets no paid image (`cache gc` still protects them; a project claims its own).
        3: [targetStates.replacingOccurrences(of: "CREATE TABLE target_states", with: "CREATE TABLE target_states_v4"),
            """
            INSERT INTO target_states_v4 (project, target, action_key, components, built_at)
                SELECT '', target, action_key, components, built_at FROM target_states
            """,
            "DROP TABLE target_states",
            "ALTER TABLE target_states_v4 RENAME TO target_states"],
    ]

    /// The last successful state of each target of each project, for "why is this stale" diffs
    /// and for `cache gc`, which keeps what any project's states name.
    package static let targetStates = """
        CREATE TABLE target_states (
            project    TEXT NOT NULL,
            target     TEXT NOT NULL,
            action_key TEXT NOT NULL,
            components TEXT NOT NULL,
            built_at   REAL NOT NULL,
            PRIMARY KEY (project, target)
        ) WITHOUT ROWID
        """

    /// A pinned URL → the object holding its bytes as first downloaded (kept until `--repin`).
    package static let urlPins = """
        CREATE TABLE url_pins (
            url        TEXT    NOT NULL PRIMARY KEY,
            object     TEXT    NOT NULL,
            format     TEXT    NOT NULL,
            width      INTEGER NOT NULL,
            height     INTEGER NOT NULL,
            byte_count INTEGER NOT NULL,
            fetched_at REAL    NOT NULL
        ) WITHOUT ROWID
        """

    /// Conventions: times are REAL seconds since 1970 (a `Date` round-trips exactly), `inode` is
    /// the 64-bit value's bit pattern, object columns hold lowercase sha256 hex. Keyed tables are
    /// `WITHOUT ROWID` so bulk loads walk one b-tree. There are no foreign keys: `BuildCache`
    /// deletes an action's child rows in the same transaction as the action.
    package static let statements: [String] = [
        // (path, size, mtime, inode) → sha256, so a no-op build reads no image bytes.
        """
        CREATE TABLE file_digests (
            path     TEXT    NOT NULL PRIMARY KEY,
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            inode    INTEGER NOT NULL,
            sha256   TEXT    NOT NULL,
            format   TEXT,
            width    INTEGER NOT NULL DEFAULT 0,
            height   INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID
        """,
        // One row per action key (a constructive trace: the key's inputs → its outputs).
        // status: running | complete | partial | failed; running at the start of a later build
        // means the build that began it was interrupted. kind: images | text.
        """
        CREATE TABLE actions (
            key         TEXT NOT NULL PRIMARY KEY,
            target      TEXT NOT NULL,
            components  TEXT NOT NULL,
            kind        TEXT NOT NULL,
            status      TEXT NOT NULL,
            model       TEXT,
            created_at  REAL NOT NULL,
            finished_at REAL,
            -- Every request sent for the action (an interrupted one may take several): ids
            -- newline-separated in order, usage summed over requests that reported it.
            request_ids      TEXT,
            generated_images INTEGER,
            output_tokens    INTEGER,
            total_tokens     INTEGER
        ) WITHOUT ROWID
        """,
        // Outputs of an action, by 0-based index. A text action has one row (index 0, 0×0).
        """
        CREATE TABLE action_images (
            action_key TEXT    NOT NULL,
            idx        INTEGER NOT NULL,
            object     TEXT    NOT NULL,
            width      INTEGER NOT NULL,
            height     INTEGER NOT NULL,
            byte_count INTEGER NOT NULL,
            PRIMARY KEY (action_key, idx)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX action_images_by_object ON action_images (object)",
        // Per-image failures of the latest attempt (cleared by beginAction, or by an image at the index).
        """
        CREATE TABLE action_failures (
            action_key TEXT    NOT NULL,
            idx        INTEGER NOT NULL,
            code       TEXT    NOT NULL,
            message    TEXT    NOT NULL,
            PRIMARY KEY (action_key, idx)
        ) WITHOUT ROWID
        """,
        targetStates,
        // Files assetbuild wrote into a build directory (path relative to build_root).
        """
        CREATE TABLE materialized (
            build_root TEXT    NOT NULL,
            path       TEXT    NOT NULL,
            target     TEXT    NOT NULL,
            object     TEXT    NOT NULL,
            size       INTEGER NOT NULL,
            mtime_ns   INTEGER NOT NULL,
            inode      INTEGER NOT NULL,
            PRIMARY KEY (build_root, path)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX materialized_by_object ON materialized (object)",
        urlPins,
    ]
}
