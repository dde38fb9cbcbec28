using System.Text.Json.Nodes;

namespace ActiveGate.TestKit.OneM2m;

/// <summary>
/// One request as the test CSE saw it, and how it answered. CoAP requests are logged in HTTP terms: Method is the
/// HTTP verb of the CoAP method (GET/POST/PUT/DELETE), Headers hold the oneM2M options under their TS-0009 header
/// names, HttpStatus is the status the HTTP front would have sent; <see cref="Binding"/> tells the two apart.
/// </summary>
public sealed record TestCseRequest(
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    int Rsc,
    int HttpStatus,
    string? Violation)
{
    /// <summary>"http" or "coap": the front the request came in by.</summary>
    public string Binding { get; init; } = "http";

    public string? Header(string name) => Headers.TryGetValue(name.ToUpperInvariant(), out string? v) ? v : null;
}

/// <summary>A notification the test CSE sent (or tried to send) to a subscriber.</summary>
public sealed record TestCseNotification(string Target, string Body, int? Rsc, string? Error);

/// <summary>A stored resource. <see cref="Attributes"/> is the JSON object under the root key.</summary>
public sealed class TestCseResource
{
    // One object, so a reader never sees the node of one name with the value of another.
    private DecodedName? _rn;

    internal TestCseResource(string path, string rootKey, int type, JsonObject attributes, string? parentPath)
    {
        Path = path;
        RootKey = rootKey;
        Type = type;
        Attributes = attributes;
        ParentPath = parentPath;
    }

    /// <summary>Structured, CSE-relative path: <c>cse-in/AE/cnt</c>.</summary>
    public string Path { get; }

    public string RootKey { get; }

    public int Type { get; }

    public JsonObject Attributes { get; }

    public string? ParentPath { get; }

    public string Ri => (string)Attributes["ri"]!;

    /// <summary>The resource name. Read for every sibling on each CREATE (name clash check), so the string decoded from
    /// the JSON is kept per node: JSON values are immutable, and a replaced <c>rn</c> node is read afresh.</summary>
    public string Rn
    {
        get
        {
            JsonNode? node = Attributes["rn"];
            if (_rn is { } cached && ReferenceEquals(cached.Node, node))
            {
                return cached.Value;
            }

            string value = (string)node!;
            if (node is not null)
            {
                _rn = new DecodedName(node, value);
            }

            return value;
        }
    }

    internal List<TestCseResource> Children { get; } = [];

    internal long Sequence { get; set; }

    private sealed record DecodedName(JsonNode Node, string Value);
}

public sealed class TestCseOptions
{
    public string CseId { get; set; } = "/id-in";

    public string CseBaseName { get; set; } = "cse-in";

    /// <summary>Originator allowed everything (like ACME's CAdmin).</summary>
    public string AdminOriginator { get; set; } = "CAdmin";

    /// <summary>Release versions the CSE supports (X-M2M-RVI outside them → 4001).</summary>
    public IReadOnlyCollection<string> SupportedReleases { get; set; } = ["2a", "3", "4", "5"];

    /// <summary>How long a pollingChannel long-poll waits before answering 4008.</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A notification queued for a pollingChannel is dropped when not polled within this (null = kept).</summary>
    public TimeSpan? PollingQueueExpiration { get; set; }

    /// <summary>Send notifications (and verification requests) to subscribers.</summary>
    public bool DeliverNotifications { get; set; } = true;

    /// <summary>Keep this many requests in <see cref="TestCse.Requests"/> (0 = keep none; the bench sets 0).</summary>
    public int RequestLogCapacity { get; set; } = 100_000;
}
