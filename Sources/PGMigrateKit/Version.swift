import CBuildInfo

/// pgmigrate's version: what `pgmigrate --version` prints, what the ledger
/// records in `pgmigrate_version`, and what scripts/package.sh names the
/// tarball and the .deb after.
public enum PGMigrateVersion {
    /// The release number, and the one place to change it. scripts/package.sh
    /// reads it from this line and refuses to package a tag `vX.Y.Z` that
    /// says otherwise.
    public static let release = "0.1.0"

    /// `release` in a plain `swift build`. A build by scripts/package.sh says
    /// where it came from: `0.1.0` at the tag `v0.1.0` with a clean tree,
    /// `0.1.0+5.g1a2b3c4d5e6f` five commits after the last tag (or after the
    /// first commit, with no tag), and `.dirty` at the end when the tree had
    /// uncommitted changes.
    public static let current: String = PGMIGRATE_BUILD_VERSION.isEmpty ? release : PGMIGRATE_BUILD_VERSION
}
