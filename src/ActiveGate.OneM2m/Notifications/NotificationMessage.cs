using System.Text.Json;
using ActiveGate.OneM2m.Resources;

namespace ActiveGate.OneM2m.Notifications;

public enum NotificationKind
{
    /// <summary><c>nev</c>: a resource event (create of a child, update, …).</summary>
    Event,
    /// <summary><c>vrq</c>: the CSE checks that the <c>nu</c> target accepts notifications. Answer 2000 to accept.</summary>
    VerificationRequest,
    /// <summary><c>sud</c>: the subscription was deleted.</summary>
    SubscriptionDeleted,
}

/// <summary>A parsed <c>m2m:sgn</c>.</summary>
public sealed class NotificationMessage
{
    public required NotificationKind Kind { get; init; }

    /// <summary><c>sur</c>: which subscription fired (e.g. <c>/id-in/subWEy122UJGm</c> or a structured path).</summary>
    public string? SubscriptionReference { get; init; }

    /// <summary><c>cr</c> on verification requests: who created the subscription.</summary>
    public string? Creator { get; init; }

    /// <summary><c>net</c> for events.</summary>
    public int? EventType { get; init; }

    /// <summary>Root key of <c>rep</c> (<c>m2m:cin</c>, <c>cod:binSh</c>, …) or null.</summary>
    public string? RepresentationType { get; init; }

    /// <summary>The value under the root key of <c>rep</c>.</summary>
    public JsonElement? Representation { get; init; }

    /// <summary>The originator (X-M2M-Origin) and request ID of the delivering request, when known.</summary>
    public string? From { get; init; }

    public string? RequestIdentifier { get; init; }

    /// <summary>The request path the notification arrived on (ACME appends the target AE-ID to the poa).</summary>
    public string? Target { get; init; }

    /// <summary>The notified contentInstance, when <see cref="RepresentationType"/> is <c>m2m:cin</c>.</summary>
    public ContentInstance? ContentInstance => RepresentationType == Resources.ContentInstance.RootKey && Representation is { } rep
        ? rep.Deserialize(OneM2mJsonContext.Default.ContentInstance)
        : null;

    /// <summary>Parses a notification body. Returns false (never throws) when it is not an <c>m2m:sgn</c>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out NotificationMessage? message, string? from = null, string? requestIdentifier = null, string? target = null)
    {
        message = null;
        if (!OneM2mJson.TryUnwrap(body, Notification.RootKey, OneM2mJsonContext.Default.Notification, out Notification? sgn) || sgn is null)
        {
            return false;
        }

        return TryCreate(sgn, out message, from, requestIdentifier, target);
    }

    public static bool TryCreate(Notification sgn, out NotificationMessage? message, string? from = null, string? requestIdentifier = null, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(sgn);
        message = null;
        if (sgn.VerificationRequest == true)
        {
            message = new NotificationMessage { Kind = NotificationKind.VerificationRequest, SubscriptionReference = sgn.SubscriptionReference, Creator = sgn.Creator, From = from, RequestIdentifier = requestIdentifier, Target = target };
            return true;
        }

        if (sgn.SubscriptionDeletion == true)
        {
            message = new NotificationMessage { Kind = NotificationKind.SubscriptionDeleted, SubscriptionReference = sgn.SubscriptionReference, From = from, RequestIdentifier = requestIdentifier, Target = target };
            return true;
        }

        if (sgn.Event is not { } nev)
        {
            return false;
        }

        string? rootKey = null;
        JsonElement? value = null;
        if (nev.Representation is { } rep && OneM2mJson.TryGetRoot(rep, out string key, out JsonElement inner))
        {
            rootKey = key;
            value = inner;
        }

        message = new NotificationMessage
        {
            Kind = NotificationKind.Event,
            SubscriptionReference = sgn.SubscriptionReference,
            EventType = nev.NotificationEventType,
            RepresentationType = rootKey,
            Representation = value,
            From = from,
            RequestIdentifier = requestIdentifier,
            Target = target,
        };
        return true;
    }
}
