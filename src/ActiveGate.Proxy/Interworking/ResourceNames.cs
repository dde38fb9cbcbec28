using System.Globalization;
using System.Text;
using ActiveGate.Devices.Model;

namespace ActiveGate.Proxy.Interworking;

/// <summary>
/// Resource names of the mapping. They are pure functions of the device and reading, so a re-sent create after a
/// crash or timeout targets the same name and a 4105 Conflict proves the earlier attempt was stored.
/// <code>
/// &lt;AE&gt;/plug-&lt;id&gt;/ch1/meas/&lt;plug-id&gt;-ch1-&lt;seq&gt;    (Containers)
///                    /ch1/cmd  (+ cmdSub)   /ch1/state
/// &lt;AE&gt;/plug-&lt;id&gt;/outlet1/binarySwitch (+ swSub) | energyConsumption   (SmartDevice)
/// </code>
/// </summary>
public static class ResourceNames
{
    public const string Readings = "meas";
    public const string Commands = "cmd";
    public const string State = "state";
    public const string CommandSubscription = "cmdSub";
    public const string SwitchSubscription = "swSub";
    public const string BinarySwitch = "binarySwitch";
    public const string EnergyConsumption = "energyConsumption";
    public const string PollingChannel = "pch";

    /// <summary><c>plug-</c>/<c>meter-</c>/<c>dev-</c> + the id with anything outside [A-Za-z0-9_-] turned into '-'.</summary>
    public static string Device(DeviceKind kind, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var sb = new StringBuilder(id.Length + 6);
        sb.Append(kind switch { DeviceKind.ActivePlug => "plug-", DeviceKind.ActiveDin => "meter-", _ => "dev-" });
        foreach (char c in id)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? char.ToLowerInvariant(c) : '-');
        }

        return sb.ToString();
    }

    public static string Channel(int channel) => "ch" + channel.ToString(CultureInfo.InvariantCulture);

    public static string Outlet(int channel) => "outlet" + channel.ToString(CultureInfo.InvariantCulture);

    public static string Reading(string deviceName, int channel, long sequence)
        => string.Create(CultureInfo.InvariantCulture, $"{deviceName}-ch{channel}-{sequence}");
}
