using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>Where the switch to a policy's upstream stands (/26241/x/8, written in lower case).</summary>
public enum TransportPolicyState
{
    /// <summary>Written by the server, not taken up yet.</summary>
    Pending = 0,

    /// <summary>The new upstream is being connected; the previous one still carries the data (make before break).</summary>
    Preparing,

    /// <summary>Readings flow to this upstream.</summary>
    Active,

    /// <summary>The switch did not complete; the previous upstream stays in force (the reason says why).</summary>
    Failed,
}

/// <summary>What the agent reports about a policy instance (/26241/x/8..12).</summary>
/// <param name="State">/8 State.</param>
/// <param name="Reason">/9 State Reason; null leaves the resource absent.</param>
/// <param name="LastSwitchMilliseconds">/10 Last Switch Duration in ms; null leaves the resource absent.</param>
/// <param name="ReadingsDelivered">/11 Readings Delivered (not negative).</param>
/// <param name="SwitchCount">/12 Switch Count (not negative).</param>
public sealed record TransportPolicyStatus(TransportPolicyState State, string? Reason, long? LastSwitchMilliseconds, long ReadingsDelivered, long SwitchCount)
{
    /// <summary>The status of an instance nobody reported on yet.</summary>
    public static TransportPolicyStatus Initial { get; } = new(TransportPolicyState.Pending, null, null, 0, 0);
}

/// <summary>A server wrote (Write, Create or Write-Composite) a policy instance and the write was committed.</summary>
public sealed class TransportPolicyWrittenEventArgs : EventArgs
{
    public TransportPolicyWrittenEventArgs(int instanceId, TransportPolicy policy, bool changed, bool created, Lwm2mOrigin origin)
    {
        InstanceId = instanceId;
        Policy = policy;
        Changed = changed;
        Created = created;
        Origin = origin;
    }

    public int InstanceId { get; }

    /// <summary>The complete policy of the instance as committed (validated).</summary>
    public TransportPolicy Policy { get; }

    /// <summary>False when the server wrote the values the instance already had (a retry of the same upstream).</summary>
    public bool Changed { get; }

    /// <summary>True when the write was a Create of this instance.</summary>
    public bool Created { get; }

    /// <summary><see cref="Lwm2mOrigin.DeviceManagement"/> normally; <see cref="Lwm2mOrigin.Bootstrap"/> for a Bootstrap-Write.</summary>
    public Lwm2mOrigin Origin { get; }
}

/// <summary>A server deleted a policy instance (Delete, or a Bootstrap-Delete that covered it).</summary>
public sealed class TransportPolicyDeletedEventArgs : EventArgs
{
    public TransportPolicyDeletedEventArgs(int instanceId, Lwm2mOrigin origin)
    {
        InstanceId = instanceId;
        Origin = origin;
    }

    public int InstanceId { get; }

    public Lwm2mOrigin Origin { get; }
}
