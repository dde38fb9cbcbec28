using ActiveGate.Coap.Stack;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Objects;

namespace ActiveGate.Lwm2m.Registration;

/// <summary>Settings of an <see cref="Lwm2mClient"/> (the <c>Lwm2m</c> configuration section).</summary>
public sealed record Lwm2mClientOptions
{
    /// <summary>Endpoint client name (<c>ep=</c>), for example <c>urn:dev:ops:activegate-00124b0001020304</c>.</summary>
    public string Endpoint { get; init; } = string.Empty;

    /// <summary>Device-management server (factory bootstrap), e.g. <c>coaps://lwm2m.example:5684</c>. Ignored once a state file exists.</summary>
    public Uri? ServerUri { get; init; }

    /// <summary>Bootstrap server, e.g. <c>coaps://bs.example:5784</c>; used when there is no usable server account or registration keeps failing.</summary>
    public Uri? BootstrapUri { get; init; }

    /// <summary>Registration lifetime in seconds (<c>lt=</c>).</summary>
    public int LifetimeSeconds { get; init; } = 300;

    /// <summary>Short Server ID of the factory server account.</summary>
    public int ShortServerId { get; init; } = 1;

    /// <summary>Queue mode (<c>b=UQ</c>).</summary>
    public bool QueueMode { get; init; }

    /// <summary>PSK identity for coaps:// (factory accounts).</summary>
    public string? PskIdentity { get; init; }

    /// <summary>PSK key for coaps:// (factory accounts). Never logged.</summary>
    public ReadOnlyMemory<byte> PskKey { get; init; }

    /// <summary>Directory for <c>lwm2m-state.json</c>; null keeps server-written configuration in memory only.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Format for multi-value responses when the server sends no Accept; advertised as <c>ct=</c>.</summary>
    public ushort PreferredContentFormat { get; init; } = Lwm2mContentFormat.SenmlJson;

    /// <summary>Upper bound for the time between Updates (NAT bindings); null: lifetime − EXCHANGE_LIFETIME.</summary>
    public TimeSpan? UpdatePeriod { get; init; }

    /// <summary>Failed Register attempts before falling back to bootstrap (when a bootstrap account exists).</summary>
    public int RegistrationAttempts { get; init; } = 5;

    /// <summary>First retry delay; doubles per failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for Bootstrap-Finish after the Bootstrap-Request was accepted.</summary>
    public TimeSpan BootstrapTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Timeout of Register/Update/De-register exchanges; null: MAX_TRANSMIT_WAIT (93 s).</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>DTLS handshake timeout (a server that silently drops a wrong PSK is detected after this).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Re-register when the host's addresses change (NoSec binding moves with the address).</summary>
    public bool WatchAddressChanges { get; init; } = true;

    /// <summary>
    /// Observations the server may hold at once (Observe and Observe-Composite); a further one is
    /// refused with 5.03 so a misbehaving or hostile peer cannot grow the client's timers without bound.
    /// </summary>
    public int MaxObservations { get; init; } = 64;

    public DeviceInfo Device { get; init; } = new();

    public CoapTransmissionParameters TransmissionParameters { get; init; } = CoapTransmissionParameters.Default;

    public DecodeLimits Limits { get; init; } = DecodeLimits.Default;

    /// <summary>Checks the options; returns the problems (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            problems.Add("Lwm2m:Endpoint is required.");
        }

        if (ServerUri is null && BootstrapUri is null)
        {
            problems.Add("Lwm2m:ServerUri or Lwm2m:BootstrapUri is required.");
        }

        foreach (var uri in new[] { ServerUri, BootstrapUri })
        {
            if (uri is null)
            {
                continue;
            }

            if (uri.Scheme is not ("coap" or "coaps"))
            {
                problems.Add($"{uri} is not a coap:// or coaps:// URI.");
            }
            else if (uri.Scheme == "coaps" && (string.IsNullOrEmpty(PskIdentity) || PskKey.IsEmpty))
            {
                problems.Add($"{uri.Scheme}:// needs Lwm2m:PskIdentity and a PSK key.");
            }
        }

        if (LifetimeSeconds < 1)
        {
            problems.Add("Lwm2m:Lifetime must be at least 1 s.");
        }

        if (MaxObservations < 1)
        {
            problems.Add("MaxObservations must be at least 1.");
        }

        if (ShortServerId is < 1 or > 65534)
        {
            problems.Add("Short Server ID must be 1..65534.");
        }

        return problems;
    }
}

/// <summary>Where the client stands.</summary>
public enum Lwm2mClientState
{
    Stopped = 0,
    Bootstrapping,
    Registering,
    Registered,
    Failed,
}

/// <summary>Where the client's /0 and /1 come from.</summary>
public enum Lwm2mStateSource
{
    /// <summary>The factory configuration (Lwm2m:ServerUri, Lwm2m:BootstrapUri, ...).</summary>
    Configuration = 0,

    /// <summary>What a server or bootstrap server wrote, restored from the state file; it wins over the configuration.</summary>
    ServerWritten,
}

/// <summary>A configured value that server-written state overrides, with both values (never key material).</summary>
public sealed record Lwm2mConfigurationOverride(string Setting, string Configured, string InForce);

/// <summary>A snapshot for diagnostics (<c>activegate lwm2m</c>). Holds no key material.</summary>
public sealed record Lwm2mClientStatus(
    Lwm2mClientState State,
    string? Reason,
    string Endpoint,
    Uri? ServerUri,
    string? Location,
    int LifetimeSeconds,
    DateTimeOffset? RegisteredAt,
    DateTimeOffset? LastUpdate,
    DateTimeOffset? NextUpdate,
    IReadOnlyList<string> Observations,
    long Registrations,
    long Updates,
    long Bootstraps,
    long MalformedRequests,
    long IgnoredRequests = 0);
