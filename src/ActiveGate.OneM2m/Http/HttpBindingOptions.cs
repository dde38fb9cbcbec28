namespace ActiveGate.OneM2m.Http;

public sealed class HttpBindingOptions
{
    /// <summary>Timeout per request when the primitive does not set one.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Media type for request bodies: <c>application/json</c> (default, accepted by ACME/OM2M/OpenMTC) or
    /// <c>application/vnd.onem2m-res+json</c>.
    /// </summary>
    public string MediaType { get; set; } = "application/json";

    /// <summary>Prefix of generated request identifiers (a random suffix per process keeps them unique across restarts).</summary>
    public string RequestIdPrefix { get; set; } = "ag";
}
