using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>Network Bearer values of /4/0/0 and /4/0/1 (object 4 DDF).</summary>
public static class NetworkBearer
{
    public const int Wlan = 21;
    public const int Bluetooth = 22;
    public const int Ieee802154 = 23;
    public const int Ethernet = 41;
    public const int Dsl = 42;
    public const int Plc = 43;
}

/// <summary>A snapshot of the gateway's connectivity.</summary>
public sealed record NetworkSnapshot(
    int Bearer,
    IReadOnlyList<int> AvailableBearers,
    IReadOnlyList<string> IpAddresses,
    IReadOnlyList<string> RouterAddresses,
    int RadioSignalStrength,
    int? LinkQuality,
    IReadOnlyList<string> Interfaces);

/// <summary>Supplies connectivity facts; the default reads the OS (<see cref="SystemNetworkStatusProvider"/>).</summary>
public interface INetworkStatusProvider
{
    NetworkSnapshot GetSnapshot();
}

/// <summary>
/// Reads interfaces from <see cref="NetworkInterface"/>: every up, non-loopback interface's unicast
/// addresses (including VPN tunnels such as tun0/wg0, which have no gateway), gateways as router
/// addresses, the bearer of the interface holding the default route, and the WLAN link quality and
/// signal level from /proc/net/wireless when there is one.
/// </summary>
public sealed class SystemNetworkStatusProvider : INetworkStatusProvider
{
    public NetworkSnapshot GetSnapshot()
    {
        var addresses = new List<string>();
        var routers = new List<string>();
        var bearers = new SortedSet<int>();
        var names = new List<string>();
        int? primary = null;
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            interfaces = [];
        }

        foreach (var nic in interfaces)
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback || nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown))
            {
                continue;
            }

            IPInterfaceProperties props;
            try
            {
                props = nic.GetIPProperties();
            }
            catch (NetworkInformationException)
            {
                continue;
            }

            var unicast = props.UnicastAddresses.Select(u => u.Address).Where(a => !IPAddress.IsLoopback(a)).ToArray();
            if (unicast.Length == 0)
            {
                continue;
            }

            names.Add(nic.Name);
            addresses.AddRange(unicast.Select(FormatAddress));
            int? bearer = BearerOf(nic);
            if (bearer is int b)
            {
                bearers.Add(b);
            }

            var gateways = props.GatewayAddresses.Select(g => g.Address).Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)).ToArray();
            routers.AddRange(gateways.Select(FormatAddress));
            if (primary is null && gateways.Length > 0 && bearer is int pb)
            {
                primary = pb;
            }
        }

        var (quality, level) = ReadWireless();
        int bearerNow = primary ?? (bearers.Count > 0 ? bearers.Min : NetworkBearer.Ethernet);
        return new NetworkSnapshot(
            bearerNow,
            bearers.Count > 0 ? bearers.ToArray() : [bearerNow],
            addresses.Distinct(StringComparer.Ordinal).ToArray(),
            routers.Distinct(StringComparer.Ordinal).ToArray(),
            bearerNow == NetworkBearer.Wlan && level is int l ? l : 0,
            bearerNow == NetworkBearer.Wlan ? quality : null,
            names);
    }

    /// <summary>Maps an interface to a bearer; tunnels (tun, wg, VPN) are not bearers.</summary>
    public static int? BearerOf(NetworkInterface nic)
    {
        ArgumentNullException.ThrowIfNull(nic);
        string name = nic.Name;
        if (name.StartsWith("tun", StringComparison.Ordinal) || name.StartsWith("wg", StringComparison.Ordinal) || name.StartsWith("tap", StringComparison.Ordinal)
            || nic.NetworkInterfaceType == NetworkInterfaceType.Tunnel)
        {
            return null;
        }

        if (name.StartsWith("wlan", StringComparison.Ordinal) || name.StartsWith("wl", StringComparison.Ordinal) || nic.NetworkInterfaceType == NetworkInterfaceType.Wireless80211)
        {
            return NetworkBearer.Wlan;
        }

        if (name.StartsWith("lowpan", StringComparison.Ordinal) || name.StartsWith("wpan", StringComparison.Ordinal))
        {
            return NetworkBearer.Ieee802154;
        }

        return NetworkBearer.Ethernet;
    }

    private static string FormatAddress(IPAddress address)
    {
        // Drop the zone (%eth0) of link-local IPv6 addresses: servers expect a plain address.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        return address.ToString();
    }

    /// <summary>/proc/net/wireless: "wlan0: 0000   54.  -56.  -256 ..." (link quality, signal level dBm).</summary>
    private static (int? Quality, int? Level) ReadWireless()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/net/wireless").Skip(2))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 4
                    && double.TryParse(parts[2].TrimEnd('.'), NumberStyles.Float, CultureInfo.InvariantCulture, out double q)
                    && double.TryParse(parts[3].TrimEnd('.'), NumberStyles.Float, CultureInfo.InvariantCulture, out double l))
                {
                    return ((int)q, (int)l);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return (null, null);
    }
}

/// <summary>
/// Connectivity Monitoring (/4), single instance, all values computed from a
/// <see cref="INetworkStatusProvider"/> snapshot cached for <see cref="CacheDuration"/> so a burst
/// of reads does not enumerate the interfaces each time.
/// </summary>
public sealed class ConnectivityMonitoringObject : Lwm2mObjectEnabler
{
    public const int NetworkBearerId = 0;
    public const int AvailableNetworkBearer = 1;
    public const int RadioSignalStrength = 2;
    public const int LinkQuality = 3;
    public const int IpAddresses = 4;
    public const int RouterIpAddresses = 5;

    private readonly INetworkStatusProvider _provider;
    private readonly TimeProvider _time;
    private readonly Lock _cacheGate = new();
    private NetworkSnapshot? _cached;
    private DateTimeOffset _cachedAt;

    public ConnectivityMonitoringObject(TimeProvider time, INetworkStatusProvider? provider = null)
        : base(DdfLoader.LoadEmbedded(4))
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _provider = provider ?? new SystemNetworkStatusProvider();
        AddInstance(0, new ConnectivityInstance(this));
    }

    public TimeSpan CacheDuration { get; init; } = TimeSpan.FromSeconds(5);

    public NetworkSnapshot Snapshot
    {
        get
        {
            lock (_cacheGate)
            {
                var now = _time.GetUtcNow();
                if (_cached is null || now - _cachedAt >= CacheDuration)
                {
                    _cached = _provider.GetSnapshot();
                    _cachedAt = now;
                }

                return _cached;
            }
        }
    }

    /// <summary>Forgets the cached snapshot and tells observers (call on address change events).</summary>
    public void Refresh()
    {
        lock (_cacheGate)
        {
            _cached = null;
        }

        GetInstance(0)?.NotifyChanged(IpAddresses);
    }

    private sealed class ConnectivityInstance : Lwm2mInstance
    {
        public ConnectivityInstance(ConnectivityMonitoringObject owner)
        {
            BindValue(NetworkBearerId, () => Lwm2mValue.FromInteger(owner.Snapshot.Bearer));
            BindValues(AvailableNetworkBearer, () => owner.Snapshot.AvailableBearers.Select(b => Lwm2mValue.FromInteger(b)));
            BindValue(RadioSignalStrength, () => Lwm2mValue.FromInteger(owner.Snapshot.RadioSignalStrength));
            BindOptionalValue(LinkQuality, () => owner.Snapshot.LinkQuality is int q ? Lwm2mValue.FromInteger(q) : null);
            BindValues(IpAddresses, () => owner.Snapshot.IpAddresses.Select(Lwm2mValue.FromString));
            BindValues(RouterIpAddresses, () => owner.Snapshot.RouterAddresses.Select(Lwm2mValue.FromString));
        }
    }
}
