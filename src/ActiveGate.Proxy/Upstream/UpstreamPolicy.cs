using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Proxy.Upstream;

/// <summary>Who put a policy in force.</summary>
public enum PolicySource
{
    /// <summary>The configuration file's <c>Upstream:*</c> (or its environment overrides).</summary>
    Configuration,

    /// <summary>A device-management server's write of the Transport Management Policy object.</summary>
    Lwm2m,

    /// <summary>A technician's <c>activegate upstream switch</c>.</summary>
    Operator,
}

/// <summary>
/// Where one upstream service sends its readings: a oneM2M CSE, or (no endpoint) the agent's log.
/// </summary>
/// <param name="ServiceName">The service's name (unique among the agent's services), e.g. <c>readings</c>.</param>
/// <param name="Endpoint">The platform; null = the log (no platform configured).</param>
/// <param name="Source">Who set it.</param>
public sealed record UpstreamPolicy(string ServiceName, UpstreamEndpoint? Endpoint, PolicySource Source)
{
    /// <summary>The bindings the proxy speaks.</summary>
    public static IReadOnlyList<string> Schemes { get; } = ["http", "https", "coap", "coaps"];

    /// <summary>Same platform, same identity (who set it does not matter).</summary>
    public bool SameTarget(UpstreamPolicy? other) => other is not null && Equals(Endpoint, other.Endpoint);

    /// <summary>Why the policy cannot be used, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(ServiceName) || ServiceName.Length > 64 || ServiceName.Any(char.IsControl))
        {
            return "service name must be 1 to 64 printable characters";
        }

        if (Endpoint is null)
        {
            return null;
        }

        Uri url = Endpoint.BaseUrl;
        if (!url.IsAbsoluteUri || !Schemes.Contains(url.Scheme) || string.IsNullOrEmpty(url.Host))
        {
            return $"URL {url} must be absolute with scheme {string.Join(", ", Schemes)} and a host";
        }

        // No port in a coap(s) URL means the scheme's default (5683/5684): Uri reports -1 for schemes it does not know.
        if (!url.IsDefaultPort && url.Port is < 1 or > 65535)
        {
            return $"port {url.Port} is outside 1..65535";
        }

        if (string.IsNullOrEmpty(Endpoint.CseId) || string.IsNullOrEmpty(Endpoint.CseBaseName) || string.IsNullOrEmpty(Endpoint.Origin))
        {
            return "CSE-ID, CSEBase name and originator are required";
        }

        return null;
    }

    public override string ToString() => Endpoint is null ? $"{ServiceName}: log only" : $"{ServiceName}: {Endpoint}";
}
