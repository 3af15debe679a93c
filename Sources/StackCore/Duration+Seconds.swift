extension Duration {
    /// The duration in seconds, with fractions (for logs and figures).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in milliseconds, with fractions.
    public var milliseconds: Double { seconds * 1000 }
}
