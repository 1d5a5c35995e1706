public enum AssetBuildVersion {
    public static let current = "0.1.0"
}
