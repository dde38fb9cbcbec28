using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>Security Mode values of /0/x/2.</summary>
public enum SecurityMode
{
    PreSharedKey = 0,
    RawPublicKey = 1,
    Certificate = 2,
    NoSec = 3,
    CertificateWithEst = 4,
}

/// <summary>
/// One server account from a /0 instance. <see cref="ToString"/> never prints keys: the Security
/// object is the only place secrets live, and this is what ends up in logs.
/// </summary>
public sealed record SecurityAccount(
    int InstanceId,
    Uri ServerUri,
    bool IsBootstrap,
    SecurityMode Mode,
    ReadOnlyMemory<byte> PskIdentity,
    ReadOnlyMemory<byte> SecretKey,
    int? ShortServerId,
    TimeSpan ClientHoldOff,
    TimeSpan? BootstrapAccountTimeout)
{
    public override string ToString() =>
        $"{(IsBootstrap ? "bootstrap" : "server")} {ServerUri} mode={Mode} ssid={ShortServerId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} identity={(PskIdentity.IsEmpty ? "-" : "set")} key={(SecretKey.IsEmpty ? "-" : "set")}";

    /// <summary>The PSK identity as text when it is printable (a hint for diagnostics, never the key).</summary>
    public string PskIdentityText => System.Text.Encoding.UTF8.GetString(PskIdentity.Span);
}

/// <summary>LwM2M Security object (/0): server accounts and their credentials. Persistent, bootstrap-writable only.</summary>
public sealed class SecurityObject : Lwm2mObjectEnabler
{
    public const int ServerUri = 0;
    public const int BootstrapServer = 1;
    public const int SecurityModeId = 2;
    public const int PublicKeyOrIdentity = 3;
    public const int ServerPublicKey = 4;
    public const int SecretKey = 5;
    public const int ShortServerId = 10;
    public const int ClientHoldOffTime = 11;
    public const int BootstrapServerAccountTimeout = 12;

    public SecurityObject()
        : base(DdfLoader.LoadEmbedded(0), _ => new Lwm2mInstance())
    {
        Persistent = true;
    }

    /// <summary>Adds (or replaces) an account from configuration: factory bootstrap.</summary>
    public void AddAccount(int instanceId, string serverUri, bool isBootstrap, SecurityMode mode, ReadOnlySpan<byte> pskIdentity, ReadOnlySpan<byte> secretKey, int? shortServerId, int clientHoldOffSeconds = 0)
    {
        RemoveInstance(instanceId);
        var instance = new Lwm2mInstance();
        AddInstance(instanceId, instance);
        instance.SetValue(ServerUri, Lwm2mValue.FromString(serverUri));
        instance.SetValue(BootstrapServer, Lwm2mValue.FromBoolean(isBootstrap));
        instance.SetValue(SecurityModeId, Lwm2mValue.FromInteger((int)mode));
        instance.SetValue(PublicKeyOrIdentity, Lwm2mValue.FromOpaque(pskIdentity));
        instance.SetValue(ServerPublicKey, Lwm2mValue.FromOpaque([]));
        instance.SetValue(SecretKey, Lwm2mValue.FromOpaque(secretKey));
        if (shortServerId is int ssid)
        {
            instance.SetValue(ShortServerId, Lwm2mValue.FromInteger(ssid));
        }

        instance.SetValue(ClientHoldOffTime, Lwm2mValue.FromInteger(clientHoldOffSeconds));
    }

    /// <summary>Every account that has at least a URI; malformed instances are skipped.</summary>
    public IReadOnlyList<SecurityAccount> GetAccounts()
    {
        var accounts = new List<SecurityAccount>();
        foreach (int id in InstanceIds)
        {
            if (GetInstance(id)?.Current is { } view && TryRead(view, out var account))
            {
                accounts.Add(account);
            }
        }

        return accounts;
    }

    /// <summary>
    /// Keeps the Bootstrap-Server account when a Bootstrap-Write is about to replace its instance with
    /// a server account: bootstrap servers that number Security instances by Short Server ID (Wakaama's
    /// does) write /0/1 without a Bootstrap-Discover, and the factory bootstrap account lives there.
    /// The account moves to a free instance id; returns that id, or null when nothing had to move.
    /// </summary>
    internal int? MoveBootstrapAccountFrom(int instanceId)
    {
        if (GetInstance(instanceId) is not { } existing || existing.Current.GetBoolean(BootstrapServer) != true)
        {
            return null;
        }

        var taken = InstanceIds.ToHashSet();
        int target = Enumerable.Range(0, ushort.MaxValue).First(id => id != instanceId && !taken.Contains(id));
        var copy = new Lwm2mInstance();
        foreach (var resource in existing.StoredValues.Values)
        {
            copy.SetResource(resource);
        }

        AddInstance(target, copy);
        RemoveInstance(instanceId);
        return target;
    }

    public SecurityAccount? BootstrapAccount => GetAccounts().FirstOrDefault(a => a.IsBootstrap);

    public SecurityAccount? ServerAccount(int shortServerId) => GetAccounts().FirstOrDefault(a => !a.IsBootstrap && a.ShortServerId == shortServerId);

    internal static bool TryRead(Lwm2mInstanceView view, out SecurityAccount account)
    {
        account = null!;
        if (view.GetString(ServerUri) is not { } uriText || !Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
        {
            return false;
        }

        account = new SecurityAccount(
            view.InstanceId,
            uri,
            view.GetBoolean(BootstrapServer) ?? false,
            (SecurityMode)(view.GetInteger(SecurityModeId) ?? (int)SecurityMode.NoSec),
            view.GetOpaque(PublicKeyOrIdentity) ?? ReadOnlyMemory<byte>.Empty,
            view.GetOpaque(SecretKey) ?? ReadOnlyMemory<byte>.Empty,
            view.GetInteger(ShortServerId) is long s ? (int)s : null,
            TimeSpan.FromSeconds(view.GetInteger(ClientHoldOffTime) ?? 0),
            view.GetInteger(BootstrapServerAccountTimeout) is long t && t > 0 ? TimeSpan.FromSeconds(t) : null);
        return true;
    }
}
