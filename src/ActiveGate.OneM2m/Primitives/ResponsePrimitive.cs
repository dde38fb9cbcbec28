using System.Text.Json.Serialization.Metadata;
using ActiveGate.OneM2m.Resources;

namespace ActiveGate.OneM2m.Primitives;

/// <summary>
/// A typed oneM2M response (TS-0004 §7.2.1.2). Transport failures and timeouts are reported as
/// responses too (<see cref="IsLocal"/>), so callers branch on <see cref="Outcome"/> instead of catching.
/// </summary>
public sealed class ResponsePrimitive
{
    public required ResponseStatusCode StatusCode { get; init; }

    public required string RequestIdentifier { get; init; }

    /// <summary>The HTTP status (0 when synthesised locally).</summary>
    public int TransportStatus { get; init; }

    public string? ReleaseVersion { get; init; }

    /// <summary>The raw JSON content (<c>pc</c>), possibly empty.</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>True when no response came from the CSE (timeout, connection failure).</summary>
    public bool IsLocal { get; init; }

    /// <summary>Human-readable detail for logs (the CSE's <c>m2m:dbg</c> or the transport error).</summary>
    public string? Diagnostic { get; init; }

    /// <summary>The upstream generation the request was sent to (see <c>IUpstreamEndpointProvider</c>).</summary>
    public long EndpointGeneration { get; init; }

    public ResponseOutcome Outcome => IsLocal
        ? (StatusCode == ResponseStatusCode.RequestTimeout ? ResponseOutcome.Timeout : ResponseOutcome.TransportFailure)
        : ResponseStatusCodes.Classify(StatusCode);

    public bool IsSuccess => Outcome == ResponseOutcome.Success;

    /// <summary>True for outcomes that can succeed later without changing the request.</summary>
    public bool IsRetryable => Outcome is ResponseOutcome.ServerError or ResponseOutcome.Timeout or ResponseOutcome.TransportFailure;

    /// <summary>Deserializes the resource under <paramref name="rootKey"/> (e.g. <c>m2m:ae</c>); null when absent or malformed.</summary>
    public T? ReadResource<T>(string rootKey, JsonTypeInfo<T> typeInfo) where T : class
        => OneM2mJson.TryUnwrap(Content.Span, rootKey, typeInfo, out T? value) ? value : null;

    public override string ToString()
        => $"{(int)StatusCode} {StatusCode} ({Outcome}{(IsLocal ? ", local" : "")}) rqi={RequestIdentifier}{(Diagnostic is null ? "" : " " + BoundedText.Cap(Diagnostic))}";
}
