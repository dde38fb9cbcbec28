namespace ActiveGate.OneM2m.Upstream;

/// <summary>
/// Where and as whom the gateway talks oneM2M. Immutable: a re-target replaces the whole value, so a
/// request that took a snapshot finishes against one consistent endpoint.
/// </summary>
/// <param name="BaseUrl">The CSE's HTTP root, e.g. <c>http://127.0.0.1:8080/</c> (may contain a path prefix).</param>
/// <param name="CseId">The CSE-ID, e.g. <c>/id-in</c> (with or without the leading slash).</param>
/// <param name="CseBaseName">The CSEBase resource name, e.g. <c>cse-in</c>; structured addresses start with it.</param>
/// <param name="Origin">Originator for requests (the AE-ID, e.g. <c>Cactivegate01</c>).</param>
/// <param name="ReleaseVersion">X-M2M-RVI to send: "3" by default, "2a" for OpenMTC-era peers.</param>
public sealed record UpstreamEndpoint(
    Uri BaseUrl,
    string CseId,
    string CseBaseName,
    string Origin,
    string ReleaseVersion = "3")
{
    /// <summary>CSE-ID with a single leading slash (SP-relative form).</summary>
    public string SpRelativeCseId => CseId.StartsWith('/') ? CseId : "/" + CseId;

    /// <summary>Builds a structured CSE-relative <c>to</c> below the CSEBase: <c>cse-in/a/b</c>.</summary>
    public string Structured(string pathBelowCseBase)
        => pathBelowCseBase.Length == 0 ? CseBaseName : CseBaseName + "/" + pathBelowCseBase.TrimStart('/');

    public override string ToString() => $"{BaseUrl} ({SpRelativeCseId}/{CseBaseName}, as {Origin}, rvi {ReleaseVersion})";
}
