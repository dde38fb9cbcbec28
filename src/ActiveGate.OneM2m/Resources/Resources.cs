using System.Text.Json;
using System.Text.Json.Serialization;

namespace ActiveGate.OneM2m.Resources;

// Resource representations with TS-0004 §8.2 short names. Server-assigned attributes (ri, pi, ct, …) are
// nullable and never written by us: a strict CSE rejects read-only attributes in a CREATE (4000).

/// <summary>Attributes common to every resource.</summary>
public abstract class ResourceBase
{
    [JsonPropertyOrder(-1)][JsonPropertyName("rn")] public string? ResourceName { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("ty")] public int? ResourceType { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("ri")] public string? ResourceId { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("pi")] public string? ParentId { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("ct")] public string? CreationTime { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("lt")] public string? LastModifiedTime { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("et")] public string? ExpirationTime { get; set; }
    [JsonPropertyOrder(-1)][JsonPropertyName("lbl")] public IList<string>? Labels { get; set; }
}

/// <summary><c>m2m:ae</c> (ty 2).</summary>
public sealed class ApplicationEntity : ResourceBase
{
    public const string RootKey = "m2m:ae";

    /// <summary>App-ID; strict CSEs require it to start with 'R' (registered) or 'N' (non-registered).</summary>
    [JsonPropertyName("api")] public string? AppId { get; set; }
    [JsonPropertyName("aei")] public string? AeId { get; set; }
    [JsonPropertyName("rr")] public bool? RequestReachability { get; set; }
    [JsonPropertyName("poa")] public IList<string>? PointOfAccess { get; set; }
    [JsonPropertyName("srv")] public IList<string>? SupportedReleaseVersions { get; set; }
    [JsonPropertyName("apn")] public string? AppName { get; set; }
}

/// <summary><c>m2m:cnt</c> (ty 3).</summary>
public sealed class Container : ResourceBase
{
    public const string RootKey = "m2m:cnt";

    [JsonPropertyName("mni")] public long? MaxNrOfInstances { get; set; }
    [JsonPropertyName("mbs")] public long? MaxByteSize { get; set; }
    [JsonPropertyName("mia")] public long? MaxInstanceAge { get; set; }
    [JsonPropertyName("cni")] public long? CurrentNrOfInstances { get; set; }
    [JsonPropertyName("cbs")] public long? CurrentByteSize { get; set; }
    [JsonPropertyName("st")] public long? StateTag { get; set; }
}

/// <summary><c>m2m:cin</c> (ty 4).</summary>
public sealed class ContentInstance : ResourceBase
{
    public const string RootKey = "m2m:cin";

    /// <summary><c>cnf</c> = <c>&lt;media type&gt;:&lt;encoding&gt;</c>; encoding 0 plain, 1 base64 string, 2 base64 binary.</summary>
    [JsonPropertyName("cnf")] public string? ContentInfo { get; set; }

    /// <summary><c>con</c>. Kept as JSON so that CSEs returning an object instead of a string still parse.</summary>
    [JsonPropertyName("con")] public JsonElement? Content { get; set; }
    [JsonPropertyName("cs")] public long? ContentSize { get; set; }
    [JsonPropertyName("st")] public long? StateTag { get; set; }

    /// <summary>The content as text, base64 decoded when <c>cnf</c> says encoding 1 or 2.</summary>
    [JsonIgnore]
    public string? ContentText
    {
        get
        {
            if (Content is not { } con)
            {
                return null;
            }

            string raw = con.ValueKind == JsonValueKind.String ? con.GetString()! : con.GetRawText();
            if (ContentInfo is { } cnf && (cnf.EndsWith(":1", StringComparison.Ordinal) || cnf.EndsWith(":2", StringComparison.Ordinal)))
            {
                try
                {
                    return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(raw));
                }
                catch (FormatException)
                {
                    return raw;
                }
            }

            return raw;
        }
    }

    public static ContentInstance FromText(string text, string contentInfo = "application/json:0", string? resourceName = null)
        => new() { ResourceName = resourceName, ContentInfo = contentInfo, Content = JsonSerializer.SerializeToElement(text, OneM2mJsonContext.Default.String) };
}

/// <summary><c>enc</c> of a subscription.</summary>
public sealed class EventNotificationCriteria
{
    /// <summary><c>net</c>: 1 update, 2 delete, 3 create of direct child, 4 delete of direct child.</summary>
    [JsonPropertyName("net")] public IList<int>? NotificationEventTypes { get; set; }
}

/// <summary><c>m2m:sub</c> (ty 23).</summary>
public sealed class Subscription : ResourceBase
{
    public const string RootKey = "m2m:sub";

    [JsonPropertyName("nu")] public IList<string>? NotificationUris { get; set; }

    /// <summary><c>nct</c>: 1 all attributes, 2 modified attributes, 3 resource ID.</summary>
    [JsonPropertyName("nct")] public int? NotificationContentType { get; set; }
    [JsonPropertyName("enc")] public EventNotificationCriteria? EventNotificationCriteria { get; set; }
    [JsonPropertyName("su")] public string? SubscriberUri { get; set; }
    [JsonPropertyName("exc")] public long? ExpirationCounter { get; set; }
}

/// <summary><c>m2m:pch</c> (ty 15).</summary>
public sealed class PollingChannel : ResourceBase
{
    public const string RootKey = "m2m:pch";
}

/// <summary><c>nev</c> of a notification.</summary>
public sealed class NotificationEvent
{
    /// <summary><c>rep</c>: the representation, an object keyed by its root name (<c>m2m:cin</c>, <c>cod:binSh</c>, …).</summary>
    [JsonPropertyName("rep")] public JsonElement? Representation { get; set; }
    [JsonPropertyName("net")] public int? NotificationEventType { get; set; }
}

/// <summary><c>m2m:sgn</c>: a notification, a verification request (<c>vrq</c>) or a deletion notice (<c>sud</c>).</summary>
public sealed class Notification
{
    public const string RootKey = "m2m:sgn";

    [JsonPropertyName("nev")] public NotificationEvent? Event { get; set; }
    [JsonPropertyName("sur")] public string? SubscriptionReference { get; set; }
    [JsonPropertyName("vrq")] public bool? VerificationRequest { get; set; }
    [JsonPropertyName("sud")] public bool? SubscriptionDeletion { get; set; }
    [JsonPropertyName("cr")] public string? Creator { get; set; }
}

/// <summary><c>m2m:rqp</c>: a request primitive as JSON, as delivered through a pollingChannel.</summary>
public sealed class RequestPrimitiveJson
{
    public const string RootKey = "m2m:rqp";

    [JsonPropertyName("op")] public int? Operation { get; set; }
    [JsonPropertyName("to")] public string? To { get; set; }
    [JsonPropertyName("fr")] public string? From { get; set; }
    [JsonPropertyName("rqi")] public string? RequestIdentifier { get; set; }
    [JsonPropertyName("rvi")] public string? ReleaseVersion { get; set; }
    [JsonPropertyName("ty")] public int? ResourceType { get; set; }
    [JsonPropertyName("pc")] public JsonElement? Content { get; set; }
}

/// <summary><c>m2m:rsp</c>: a response primitive as JSON (answer to a polled request).</summary>
public sealed class ResponsePrimitiveJson
{
    public const string RootKey = "m2m:rsp";

    [JsonPropertyName("rsc")] public int StatusCode { get; set; }
    [JsonPropertyName("rqi")] public string? RequestIdentifier { get; set; }
    [JsonPropertyName("to")] public string? To { get; set; }
    [JsonPropertyName("fr")] public string? From { get; set; }
    [JsonPropertyName("rvi")] public string? ReleaseVersion { get; set; }
}

/// <summary><c>m2m:cb</c> (ty 5): read to learn the CSE's supported releases.</summary>
public sealed class CseBase : ResourceBase
{
    public const string RootKey = "m2m:cb";

    [JsonPropertyName("csi")] public string? CseId { get; set; }
    [JsonPropertyName("srv")] public IList<string>? SupportedReleaseVersions { get; set; }
    [JsonPropertyName("poa")] public IList<string>? PointOfAccess { get; set; }
}
