namespace ActiveGate.OneM2m.Primitives;

/// <summary>
/// A binding-independent oneM2M request (TS-0004 §7.2.1.1). The HTTP binding maps it to a method, path,
/// X-M2M-* headers and a Content-Type; a CoAP binding would map it to options.
/// </summary>
public sealed class RequestPrimitive
{
    /// <summary><c>op</c>.</summary>
    public required Operation Operation { get; init; }

    /// <summary><c>to</c>: CSE-relative (<c>cse-in/AE/cnt</c>), SP-relative (<c>/id-in/Cxyz</c>) or absolute (<c>//sp/id-in/…</c>).</summary>
    public required string To { get; init; }

    /// <summary><c>fr</c>. Null means "the endpoint's originator".</summary>
    public string? From { get; init; }

    /// <summary><c>rqi</c>. Null means "generate one".</summary>
    public string? RequestIdentifier { get; init; }

    /// <summary><c>rvi</c>. Null means "the endpoint's release version".</summary>
    public string? ReleaseVersion { get; init; }

    /// <summary><c>ty</c>, only on CREATE.</summary>
    public ResourceType? ResourceType { get; init; }

    /// <summary><c>pc</c>: the serialized JSON content (e.g. <c>{"m2m:cin":{…}}</c>), or empty.</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    /// <summary><c>rcn</c>; null leaves the CSE default (attributes).</summary>
    public ResultContent? ResultContent { get; init; }

    /// <summary>Extra query parameters (filter criteria, <c>fu</c>, <c>ty</c>, …), already in short names. Multiple values joined with '+'.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Query { get; init; }

    /// <summary>Per-request timeout overriding the binding default.</summary>
    public TimeSpan? Timeout { get; init; }
}
