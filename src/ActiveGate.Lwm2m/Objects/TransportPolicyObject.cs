using System.Globalization;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>
/// Transport Management Policy (/26241, private range, DDF <c>Model/Ddf/26241.xml</c>): one instance
/// per upstream service, holding the M2M platform endpoint the gateway sends that service's data
/// to. A server's Write, Create or Write-Composite is checked on the whole resulting instance (and
/// on unique service names across instances) before anything is applied; a bad value is 4.00 with
/// the reason. Once a server's change is committed <see cref="PolicyWritten"/> or
/// <see cref="PolicyDeleted"/> tells the agent, which performs the switch and reports progress with
/// <see cref="ReportStatus"/> (resources 8..12, observable). <see cref="Show"/> puts the policy in
/// force into the object, whoever chose it.
/// </summary>
/// <remarks>
/// Not <see cref="Lwm2mObjectEnabler.Persistent"/>: the policy in force is owned and persisted by
/// the agent together with its upstream generation (outbox cursor, interworking state), and shown
/// here at start with <see cref="Show"/>. Saving it in the LwM2M state store as well would give
/// two copies that can disagree after a crash between a write and the switch; with one owner the
/// object shows what the data flow actually uses.
/// </remarks>
public sealed class TransportPolicyObject : Lwm2mObjectEnabler
{
    public const int PolicyObjectId = 26241;
    public const int ServiceName = 0;
    public const int Scheme = 1;
    public const int Address = 2;
    public const int Port = 3;
    public const int CseId = 4;
    public const int CseBaseName = 5;
    public const int Originator = 6;
    public const int ReleaseVersion = 7;
    public const int State = 8;
    public const int StateReason = 9;
    public const int LastSwitchDuration = 10;
    public const int ReadingsDelivered = 11;
    public const int SwitchCount = 12;

    private static readonly ObjectDefinition s_definition = DdfLoader.LoadEmbedded(PolicyObjectId);
    private static readonly int[] s_mandatory = [ServiceName, Scheme, Address, Port, CseId, CseBaseName, Originator];

    public TransportPolicyObject()
        : base(s_definition, _ => new PolicyInstance())
    {
        Validator = ValidateInstance;
        ObjectValidator = ValidateUniqueNames;
        Committed += OnObjectCommitted;
    }

    /// <summary>
    /// A server's write of an instance was validated and committed: once per instance and
    /// transaction, however many resources it changed. Raised on the request path before the
    /// server gets its 2.04/2.01: hand the switch off, do not block or throw. Not raised for
    /// <see cref="Show"/>.
    /// </summary>
    public event EventHandler<TransportPolicyWrittenEventArgs>? PolicyWritten;

    /// <summary>
    /// A server deleted an instance. Not raised for <see cref="Remove"/>. A Bootstrap-Delete of
    /// <c>/</c> removes every instance too (Origin <see cref="Lwm2mOrigin.Bootstrap"/>).
    /// </summary>
    public event EventHandler<TransportPolicyDeletedEventArgs>? PolicyDeleted;

    /// <summary>
    /// Creates or replaces instance <paramref name="instanceId"/> with <paramref name="policy"/>
    /// (resources 0..7; an absent release version removes /7) so a server reading the object sees
    /// the upstream in force. Raises no event. The status resources keep their values.
    /// </summary>
    /// <exception cref="ArgumentException">The policy is invalid or its service name is used by another instance.</exception>
    /// <exception cref="InvalidOperationException">The object is not in a data model yet (add it to the client first).</exception>
    public void Show(int instanceId, TransportPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(instanceId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(instanceId, Lwm2mPath.MaxId);
        if (TransportPolicy.Validate(policy) is { } reason)
        {
            throw new ArgumentException(reason, nameof(policy));
        }

        var model = Model ?? throw new InvalidOperationException("Add the Transport Management Policy object to the LwM2M client before Show.");
        var records = ToRecords(instanceId, policy);
        try
        {
            using var transaction = model.BeginTransaction(Lwm2mOrigin.Local);
            if (GetInstance(instanceId) is null)
            {
                transaction.Create(ObjectId, instanceId, records);
            }
            else
            {
                transaction.Write(new Lwm2mPath(ObjectId, instanceId), records, WriteMode.Replace);
            }

            transaction.Commit();
        }
        catch (Lwm2mException ex) when (ex.Status == Lwm2mStatus.BadRequest)
        {
            throw new ArgumentException(ex.Message, nameof(policy), ex);
        }
    }

    /// <summary>
    /// Sets resources 8..12 of an instance; observers of the ones that changed are notified. A
    /// status for an instance that does not exist (deleted by the server meanwhile) is dropped.
    /// </summary>
    public void ReportStatus(int instanceId, TransportPolicyStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (!Enum.IsDefined(status.State))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status.State, "Unknown state.");
        }

        if (status.ReadingsDelivered < 0 || status.SwitchCount < 0 || status.LastSwitchMilliseconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "Counters and durations are not negative.");
        }

        if (GetInstance(instanceId) is PolicyInstance instance)
        {
            instance.SetStatus(status);
        }
    }

    /// <summary>Removes an instance from the application side (no event).</summary>
    public void Remove(int instanceId) => RemoveInstance(instanceId);

    /// <summary>The policy instance <paramref name="instanceId"/> holds, or null when it does not exist.</summary>
    public TransportPolicy? GetPolicy(int instanceId) =>
        GetInstance(instanceId) is { } instance ? FromView(instance.Current, out _) : null;

    /// <summary>The status shown in resources 8..12, or null when the instance does not exist.</summary>
    public TransportPolicyStatus? GetStatus(int instanceId) => (GetInstance(instanceId) as PolicyInstance)?.Status;

    internal static string StateText(TransportPolicyState state) => state switch
    {
        TransportPolicyState.Preparing => "preparing",
        TransportPolicyState.Active => "active",
        TransportPolicyState.Failed => "failed",
        _ => "pending",
    };

    /// <summary>Reads resources 0..7 of a (proposed) instance; <paramref name="problem"/> says what is missing or mistyped.</summary>
    internal static TransportPolicy? FromView(Lwm2mInstanceView view, out string? problem)
    {
        foreach (int id in s_mandatory)
        {
            if (!view.Resources.ContainsKey(id))
            {
                problem = $"{Name(id)} (/{view.ObjectId}/{view.InstanceId}/{id}) is mandatory.";
                return null;
            }
        }

        long port = view.GetInteger(Port) ?? 0;
        if (port is < 1 or > 65535)
        {
            problem = $"Port {port.ToString(CultureInfo.InvariantCulture)} is not in 1..65535.";
            return null;
        }

        problem = null;
        return new TransportPolicy(
            view.GetString(ServiceName) ?? string.Empty,
            view.GetString(Scheme) ?? string.Empty,
            view.GetString(Address) ?? string.Empty,
            (int)port,
            view.GetString(CseId) ?? string.Empty,
            view.GetString(CseBaseName) ?? string.Empty,
            view.GetString(Originator) ?? string.Empty,
            view.GetString(ReleaseVersion));
    }

    private static string Name(int resourceId) => s_definition.GetResource(resourceId)?.Name ?? resourceId.ToString(CultureInfo.InvariantCulture);

    private static Lwm2mRecord[] ToRecords(int instanceId, TransportPolicy policy)
    {
        var records = new List<Lwm2mRecord>(8)
        {
            new(new Lwm2mPath(PolicyObjectId, instanceId, ServiceName), Lwm2mValue.FromString(policy.ServiceName)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, Scheme), Lwm2mValue.FromString(policy.Scheme)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, Address), Lwm2mValue.FromString(policy.Address)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, Port), Lwm2mValue.FromInteger(policy.Port)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, CseId), Lwm2mValue.FromString(policy.CseId)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, CseBaseName), Lwm2mValue.FromString(policy.CseBaseName)),
            new(new Lwm2mPath(PolicyObjectId, instanceId, Originator), Lwm2mValue.FromString(policy.Originator)),
        };
        if (policy.ReleaseVersion is { } rvi)
        {
            records.Add(new(new Lwm2mPath(PolicyObjectId, instanceId, ReleaseVersion), Lwm2mValue.FromString(rvi)));
        }

        return records.ToArray();
    }

    // Runs under the model lock on the proposed (stored) values of one instance.
    private static string? ValidateInstance(Lwm2mInstanceView proposed, Lwm2mOrigin origin)
    {
        // 8..12 are the agent's report. A Write to them is refused with 4.05 before this runs; a
        // Create may carry read-only values (Core TS 6.3.6 lets the model decide): not for these.
        foreach (int id in proposed.Resources.Keys)
        {
            if (s_definition.GetResource(id) is { IsWritable: false })
            {
                return $"{Name(id)} (/{proposed.ObjectId}/{proposed.InstanceId}/{id}) is read-only.";
            }
        }

        var policy = FromView(proposed, out string? problem);
        return policy is null ? problem : TransportPolicy.Validate(policy);
    }

    private static string? ValidateUniqueNames(IReadOnlyList<Lwm2mInstanceView> instances, Lwm2mOrigin origin)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var instance in instances)
        {
            if (instance.GetString(ServiceName) is not { } name)
            {
                continue;
            }

            if (!seen.TryAdd(name, instance.InstanceId))
            {
                return $"Service Name '{name}' is already used by instance {seen[name].ToString(CultureInfo.InvariantCulture)}.";
            }
        }

        return null;
    }

    private void OnObjectCommitted(object? sender, Lwm2mCommitEventArgs e)
    {
        if (e.Origin == Lwm2mOrigin.Local)
        {
            return;
        }

        foreach (int id in e.DeletedInstances)
        {
            PolicyDeleted?.Invoke(this, new TransportPolicyDeletedEventArgs(id, e.Origin));
        }
    }

    private void OnInstanceCommitted(PolicyInstance instance, Lwm2mInstanceView committed, bool changed, bool created, Lwm2mOrigin origin)
    {
        if (origin == Lwm2mOrigin.Local || FromView(committed, out _) is not { } policy)
        {
            return;
        }

        if (changed)
        {
            // A new upstream is not taken up yet; the agent moves it on from here.
            instance.SetStatus(instance.Status with { State = TransportPolicyState.Pending, Reason = null });
        }

        PolicyWritten?.Invoke(this, new TransportPolicyWrittenEventArgs(instance.Id, policy, changed, created, origin));
    }

    /// <summary>An instance whose status resources (8..12) are computed from the last report.</summary>
    private sealed class PolicyInstance : Lwm2mInstance
    {
        private TransportPolicyStatus _status = TransportPolicyStatus.Initial;
        private int _commits;

        public PolicyInstance()
        {
            BindValue(State, () => Lwm2mValue.FromString(StateText(Status.State)));
            BindOptionalValue(StateReason, () => Status.Reason is { } reason ? Lwm2mValue.FromString(reason) : null);
            BindOptionalValue(LastSwitchDuration, () => Status.LastSwitchMilliseconds is long ms ? Lwm2mValue.FromInteger(ms) : null);
            BindValue(ReadingsDelivered, () => Lwm2mValue.FromInteger(Status.ReadingsDelivered));
            BindValue(SwitchCount, () => Lwm2mValue.FromInteger(Status.SwitchCount));
        }

        // Swapped as a whole reference, so a read under the model lock never sees half a report.
        public TransportPolicyStatus Status => Volatile.Read(ref _status);

        public void SetStatus(TransportPolicyStatus status)
        {
            var previous = Interlocked.Exchange(ref _status, status);
            if (Owner?.Model is not { } model || Id < 0)
            {
                return;
            }

            var changed = new List<Lwm2mPath>(5);
            var path = Path;
            if (previous.State != status.State)
            {
                changed.Add(path.Append(State));
            }

            if (!string.Equals(previous.Reason, status.Reason, StringComparison.Ordinal))
            {
                changed.Add(path.Append(StateReason));
            }

            if (previous.LastSwitchMilliseconds != status.LastSwitchMilliseconds)
            {
                changed.Add(path.Append(LastSwitchDuration));
            }

            if (previous.ReadingsDelivered != status.ReadingsDelivered)
            {
                changed.Add(path.Append(ReadingsDelivered));
            }

            if (previous.SwitchCount != status.SwitchCount)
            {
                changed.Add(path.Append(SwitchCount));
            }

            if (changed.Count > 0)
            {
                model.RaiseChanged(changed, structureChanged: false, Lwm2mOrigin.Local);
            }
        }

        protected internal override void OnCommitted(Lwm2mInstanceView committed, IReadOnlyCollection<int> changedResourceIds, Lwm2mOrigin origin)
        {
            bool created = Interlocked.Increment(ref _commits) == 1;
            (Owner as TransportPolicyObject)?.OnInstanceCommitted(this, committed, changedResourceIds.Count > 0, created, origin);
        }
    }
}
