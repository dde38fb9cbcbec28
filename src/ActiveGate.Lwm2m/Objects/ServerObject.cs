using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>The settings of one /1 instance.</summary>
public sealed record ServerAccount(int InstanceId, int ShortServerId, TimeSpan Lifetime, long? DefaultMinPeriod, long? DefaultMaxPeriod, string Binding, bool StoreNotifications);

/// <summary>A server asked for something through an executable of /1 (Core TS E.2).</summary>
public sealed class ServerExecuteEventArgs(int shortServerId, TimeSpan? disableTimeout = null) : EventArgs
{
    public int ShortServerId { get; } = shortServerId;

    /// <summary>For Disable: how long to stay away (/1/x/5, default 86400 s).</summary>
    public TimeSpan? DisableTimeout { get; } = disableTimeout;
}

/// <summary>
/// LwM2M Server object (/1). Executes 4 (Disable), 8 (Registration Update Trigger) and
/// 9 (Bootstrap-Request Trigger) raise events the registration engine acts on.
/// Writes are checked: lifetime positive, binding only what the client supports (U, Q).
/// </summary>
public sealed class ServerObject : Lwm2mObjectEnabler
{
    public const int ShortServerId = 0;
    public const int Lifetime = 1;
    public const int DefaultMinimumPeriod = 2;
    public const int DefaultMaximumPeriod = 3;
    public const int Disable = 4;
    public const int DisableTimeout = 5;
    public const int NotificationStoring = 6;
    public const int Binding = 7;
    public const int RegistrationUpdateTrigger = 8;
    public const int BootstrapRequestTrigger = 9;

    public ServerObject()
        : base(DdfLoader.LoadEmbedded(1), id => new ServerInstance())
    {
        Persistent = true;
    }

    /// <summary>Server asked for an immediate Update (/1/x/8).</summary>
    public event EventHandler<ServerExecuteEventArgs>? UpdateTriggered;

    /// <summary>Server asked the client to bootstrap again (/1/x/9).</summary>
    public event EventHandler<ServerExecuteEventArgs>? BootstrapRequested;

    /// <summary>Server asked to be disabled for /1/x/5 seconds (/1/x/4).</summary>
    public event EventHandler<ServerExecuteEventArgs>? DisableRequested;

    /// <summary>
    /// Whether the client could bootstrap now (it has a Bootstrap-Server account). Without one,
    /// /1/x/9 is refused with 4.05 instead of de-registering into a state nothing recovers from.
    /// Null: always allowed.
    /// </summary>
    public Func<bool>? CanBootstrap { get; set; }

    /// <summary>Supported binding letters; writes with others are refused.</summary>
    public string SupportedBindings { get; init; } = "UQ";

    public Lwm2mInstance AddServer(int instanceId, int shortServerId, int lifetimeSeconds, string binding = "U", long? defaultMinPeriod = null, long? defaultMaxPeriod = null)
    {
        RemoveInstance(instanceId);
        var instance = AddInstance(instanceId, new ServerInstance());
        instance.SetValue(ShortServerId, Lwm2mValue.FromInteger(shortServerId));
        instance.SetValue(Lifetime, Lwm2mValue.FromInteger(lifetimeSeconds));
        instance.SetValue(NotificationStoring, Lwm2mValue.FromBoolean(true));
        instance.SetValue(Binding, Lwm2mValue.FromString(binding));
        if (defaultMinPeriod is long pmin)
        {
            instance.SetValue(DefaultMinimumPeriod, Lwm2mValue.FromInteger(pmin));
        }

        if (defaultMaxPeriod is long pmax)
        {
            instance.SetValue(DefaultMaximumPeriod, Lwm2mValue.FromInteger(pmax));
        }

        return instance;
    }

    public IReadOnlyList<ServerAccount> GetServers() =>
        InstanceIds.Select(id => GetInstance(id)?.Current).Where(v => v is not null).Select(v => Read(v!)).Where(a => a is not null).Select(a => a!).ToArray();

    public ServerAccount? GetServer(int shortServerId) => GetServers().FirstOrDefault(s => s.ShortServerId == shortServerId);

    internal static ServerAccount? Read(Lwm2mInstanceView v) => v.GetInteger(ShortServerId) is long ssid
        ? new ServerAccount(v.InstanceId, (int)ssid, TimeSpan.FromSeconds(v.GetInteger(Lifetime) ?? 86400), v.GetInteger(DefaultMinimumPeriod), v.GetInteger(DefaultMaximumPeriod), v.GetString(Binding) ?? "U", v.GetBoolean(NotificationStoring) ?? true)
        : null;

    private sealed class ServerInstance : Lwm2mInstance
    {
        public ServerInstance()
        {
            BindExecute(Disable, _ => Raise(o => o.DisableRequested, withTimeout: true));
            BindExecute(RegistrationUpdateTrigger, _ => Raise(o => o.UpdateTriggered, withTimeout: false));
            BindExecute(BootstrapRequestTrigger, _ =>
            {
                // Core TS E.2 leaves the case open; the operation is not available in this state, which is what 4.05 says.
                if (Owner is ServerObject { CanBootstrap: { } canBootstrap } && !canBootstrap())
                {
                    throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, "No Bootstrap-Server account: the client cannot bootstrap, so it stays registered.");
                }

                return Raise(o => o.BootstrapRequested, withTimeout: false);
            });
        }

        protected internal override string? Validate(Lwm2mInstanceView proposed, Lwm2mOrigin origin)
        {
            if (proposed.GetInteger(ShortServerId) is not long ssid || ssid is < 1 or > 65534)
            {
                return "Short Server ID must be 1..65534.";
            }

            if (proposed.GetInteger(Lifetime) is long lifetime && lifetime <= 0)
            {
                return "Lifetime must be positive.";
            }

            if (proposed.GetInteger(DefaultMinimumPeriod) is < 0 || proposed.GetInteger(DefaultMaximumPeriod) is < 0)
            {
                return "Default periods must not be negative.";
            }

            var supported = (Owner as ServerObject)?.SupportedBindings ?? "UQ";
            if (proposed.GetString(Binding) is { } binding && (binding.Length == 0 || binding.Any(c => !supported.Contains(c, StringComparison.Ordinal))))
            {
                return $"Binding '{binding}' is not supported (supported: {supported}).";
            }

            return null;
        }

        private Lwm2mStatus Raise(Func<ServerObject, EventHandler<ServerExecuteEventArgs>?> pick, bool withTimeout)
        {
            if (Owner is not ServerObject owner)
            {
                return Lwm2mStatus.NotFound;
            }

            var view = Current;
            int ssid = (int)(view.GetInteger(ShortServerId) ?? 0);
            TimeSpan? timeout = withTimeout ? TimeSpan.FromSeconds(view.GetInteger(DisableTimeout) ?? 86400) : null;
            pick(owner)?.Invoke(owner, new ServerExecuteEventArgs(ssid, timeout));
            return Lwm2mStatus.Changed;
        }
    }
}
