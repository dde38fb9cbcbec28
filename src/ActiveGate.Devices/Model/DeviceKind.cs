namespace ActiveGate.Devices.Model;

/// <summary>What a mesh node is, as far as the gateway can tell from its resources.</summary>
public enum DeviceKind
{
    /// <summary>Answers CoAP but is neither an ActivePlug nor an ActiveDIN; kept with its links.</summary>
    Generic,

    /// <summary>ActivePlug: one relay channel, up to 16 A.</summary>
    ActivePlug,

    /// <summary>ActiveDIN: three relay channels, up to 20 A each.</summary>
    ActiveDin,
}

/// <summary>Rated current per channel and channel count of each kind (docs/devices.md).</summary>
public static class DeviceRatings
{
    public static int ChannelCount(DeviceKind kind) => kind switch
    {
        DeviceKind.ActivePlug => 1,
        DeviceKind.ActiveDin => 3,
        _ => 0,
    };

    public static double RatedCurrentAmperes(DeviceKind kind) => kind switch
    {
        DeviceKind.ActivePlug => 16,
        DeviceKind.ActiveDin => 20,
        _ => 0,
    };
}
